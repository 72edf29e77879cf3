// The value parsers every variable and start() option goes through, and URL redaction, as tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseBoolean,
  parseRatio,
  parseNonNegativeInt,
  parseHttpUrl,
  parseDdTags,
  parseResourceAttributes,
  parseText,
  parseOneOf,
  parseNameList,
  parseAttributeRecord,
  optionText,
  describeValue,
  preview,
} from '../../../dist/config/env-values.js';
import { redactUrl, redactUrlsIn } from '../../../dist/config/url-redaction.js';

const value = (parsed) => (parsed.ok ? parsed.value : `bad: ${parsed.reason}`);

test('parseBoolean', () => {
  for (const [raw, expected] of [
    ['true', true],
    ['TRUE', true],
    [' 1 ', true],
    ['false', false],
    ['0', false],
    ['', false],
    ['yes', 'bad: "yes" is not true or false'],
    ['truee', 'bad: "truee" is not true or false'],
  ]) {
    assert.equal(value(parseBoolean(raw)), expected, raw);
  }
});

test('parseRatio', () => {
  for (const [raw, expected] of [
    ['0', 0],
    ['1', 1],
    ['0.25', 0.25],
    ['.5', 0.5],
    ['1e-2', 0.01],
    ['1.5', 'bad: 1.5 is outside [0, 1]'],
    ['-0.1', 'bad: "-0.1" is not a number'],
    ['NaN', 'bad: "NaN" is not a number'],
    ['0x1', 'bad: "0x1" is not a number'],
  ]) {
    assert.equal(value(parseRatio(raw)), expected, raw);
  }
});

test('parseNonNegativeInt', () => {
  for (const [raw, expected] of [
    ['0', 0],
    ['2000', 2000],
    [' 60000 ', 60000],
    ['60001', 'bad: 60001 is larger than 60000'],
    ['-1', 'bad: "-1" is not a whole number'],
    ['1.5', 'bad: "1.5" is not a whole number'],
    ['1e3', 'bad: "1e3" is not a whole number'],
    ['9'.repeat(13), `bad: "${'9'.repeat(13)}" is not a whole number`],
  ]) {
    assert.equal(value(parseNonNegativeInt(raw, 60000)), expected, raw);
  }
});

test('parseHttpUrl: http(s) only, and a rejected URL is printed without credentials or query', () => {
  for (const [raw, expected] of [
    ['http://localhost:4318', 'http://localhost:4318/'],
    ['https://collector:4318/v1/traces', 'https://collector:4318/v1/traces'],
    [' http://c:1/x ', 'http://c:1/x'],
    ['not a url', 'bad: "not a url" is not a URL'],
    ['ftp://user:secret@x/?k=secret', 'bad: "ftp://***@x/?***" is not an http(s) URL'],
    ['user:secret@collector:4318', 'bad: "***@collector:4318" is not an http(s) URL'],
    ['http://user:secret@bad host/?k=secret', 'bad: "http://***@bad host/?***" is not a URL'],
  ]) {
    assert.equal(value(parseHttpUrl(raw)), expected, raw);
  }
});

test('redactUrl: credentials and query strings become ***, fragments go, everything else stays', () => {
  for (const [raw, expected] of [
    ['https://user:token@collector:4318/v1/traces?x=y', 'https://***@collector:4318/v1/traces?***'],
    ['https://token@collector:4318/v1/traces', 'https://***@collector:4318/v1/traces'],
    ['http://localhost:4318/v1/traces', 'http://localhost:4318/v1/traces'],
    ['http://localhost:4318/v1/traces#frag', 'http://localhost:4318/v1/traces'],
    ['http://[::1]:4318/', 'http://[::1]:4318/'],
    ['not a url?token=1', 'not a url?***'],
    ['//user:token@host/x', '//***@host/x'],
    ['user:token@host:4318', '***@host:4318'],
    ['', ''],
  ]) {
    assert.equal(redactUrl(raw), expected, raw);
  }
});

test('redactUrlsIn: the URLs inside a free-form diagnostic', () => {
  for (const [raw, expected] of [
    [
      "Could not parse environment-provided export URL: 'http://user:token@bad host', falling back",
      "Could not parse environment-provided export URL: 'http://***@bad host', falling back",
    ],
    ['export to https://collector:4318/v1/traces?token=1 failed (503)', 'export to https://collector:4318/v1/traces?*** failed (503)'],
    ['span export to http://***@c:1/v1/traces?*** failed', 'span export to http://***@c:1/v1/traces?*** failed'],
    ['no url here? fine: a@b', 'no url here? fine: a@b'],
  ]) {
    assert.equal(redactUrlsIn(raw), expected, raw);
  }
});

test('parseDdTags: key:value by commas, else by spaces; malformed entries are reported', () => {
  assert.deepEqual(parseDdTags('env:prod,team:core'), { tags: { env: 'prod', team: 'core' }, rejected: [] });
  assert.deepEqual(parseDdTags('env:prod team:core'), { tags: { env: 'prod', team: 'core' }, rejected: [] });
  assert.deepEqual(parseDdTags('url:http://x:1, a:b c'), { tags: { url: 'http://x:1', a: 'b c' }, rejected: [] });
  assert.deepEqual(parseDdTags('novalue:,:nokey,plain,ok:1'), { tags: { ok: '1' }, rejected: ['novalue:', ':nokey', 'plain'] });
});

test('parseResourceAttributes: key=value, percent-decoded; any error discards everything', () => {
  assert.deepEqual(value(parseResourceAttributes('a=1,b=%20x%2C')), { a: '1', b: ' x,' });
  assert.deepEqual(value(parseResourceAttributes('')), {});
  assert.match(value(parseResourceAttributes('a=1,b')), /^bad: "b" is not key=value$/);
  assert.match(value(parseResourceAttributes('a=%E0%A4%A')), /bad percent-encoding/);
  assert.match(value(parseResourceAttributes('a=\u0001')), /invalid key or value/);
});

test('parseText: printable text up to 4096 characters', () => {
  assert.equal(value(parseText('  checkout ')), 'checkout');
  assert.equal(value(parseText('😀 svc')), '😀 svc');
  assert.match(value(parseText('a\nb')), /^bad: "a\?b" has control characters/);
  assert.match(value(parseText('x'.repeat(4097))), /longer than 4096/);
});

test('parseOneOf: case-insensitive; a named reason for values known to be unsupported', () => {
  const protocol = parseOneOf(['http/protobuf', 'http/json'], { grpc: 'is not supported here' });
  assert.equal(value(protocol('HTTP/JSON')), 'http/json');
  assert.equal(value(protocol('grpc')), 'bad: "grpc" is not supported here');
  assert.equal(value(protocol('toString')), 'bad: "toString" is not one of http/protobuf, http/json');
});

test('parseNameList: known names kept in order, `none`, duplicates, unknown names reported', () => {
  const rules = { noun: 'colour', known: ['red', 'blue'], canonical: (n) => (n === 'crimson' ? 'red' : ['red', 'blue'].find((k) => k === n)), rejectWhenNoneKnown: true };
  const parse = parseNameList(rules);
  assert.deepEqual(parse('Blue, red,blue,crimson'), { ok: true, value: ['blue', 'red'] });
  assert.deepEqual(parse('none'), { ok: true, value: [] });
  assert.deepEqual(parse(',,,'), { ok: true, value: [] });
  assert.deepEqual(parse('red,green'), { ok: true, value: ['red'], partial: { reason: 'unknown colour(s) green (known: red, blue, none)', using: 'red' } });
  assert.deepEqual(parse('none,green'), { ok: true, value: [], partial: { reason: 'unknown colour(s) green (known: red, blue, none)', using: 'none' } });
  assert.deepEqual(parse('green'), { ok: false, reason: 'unknown colour(s) green (known: red, blue, none)' });
  assert.deepEqual(parseNameList({ ...rules, rejectWhenNoneKnown: false })('green'), {
    ok: true,
    value: [],
    partial: { reason: 'unknown colour(s) green (known: red, blue, none)', using: 'none' },
  });
});

test('parseAttributeRecord: an object of clean strings', () => {
  assert.deepEqual(parseAttributeRecord({ team: ' core ' }), { ok: true, value: { team: 'core' } });
  assert.equal(parseAttributeRecord({ a: 'x', b: 1, 'c d': 'y' }).partial.using, 'the well-formed entries only');
  assert.deepEqual(parseAttributeRecord({ a: 'x', b: 1 }).value, { a: 'x' });
  for (const bad of ['a=b', ['a'], 5, null]) assert.equal(parseAttributeRecord(bad).ok, false, String(bad));
});

test('optionText: a start() option as the text its variable would hold', () => {
  const cases = [
    ['string', undefined, undefined],
    ['string', null, undefined],
    ['string', '  ', undefined],
    ['string', 'svc', 'svc'],
    ['string', 5, 'bad: 5 is not a string'],
    ['number', 1500, '1500'],
    ['number', '1500', '1500'],
    ['number', Number.NaN, 'NaN'],
    ['number', {}, 'bad: {} is not a number'],
    ['boolean', false, 'false'],
    ['boolean', 0, 'bad: 0 is not true or false'],
    ['list', ['a', 'b'], 'a,b'],
    ['list', [], 'none'],
    ['list', 'a,b', 'a,b'],
    ['list', ['a', 1], 'bad: ["a",1] is not a list of names'],
  ];
  for (const [kind, input, expected] of cases) {
    const text = optionText(kind, input);
    assert.equal(text === undefined ? undefined : value(text), expected, `${kind} ${String(input)}`);
  }
});

test('describeValue and preview never throw and stay short', () => {
  const circular = {};
  circular.self = circular;
  for (const v of [
    circular,
    10n,
    Symbol('s'),
    () => 1,
    undefined,
    'x'.repeat(1000),
    {
      toJSON() {
        throw new Error('no');
      },
    },
  ]) {
    const text = describeValue(v);
    assert.equal(typeof text, 'string');
    assert.ok(text.length <= 62, text);
  }
  assert.equal(preview('a\u0000b'), 'a?b');
});
