// Garbage in every declared variable and start() option, in-process, driven by the settings table.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../dist/config/resolve-config.js';
import { SETTINGS, OPTION_ONLY_SETTINGS } from '../../../dist/config/settings.js';
import { describeSettings } from '../../../dist/config/describe-settings.js';
import { parseHttpUrl } from '../../../dist/config/env-values.js';
import { createPropagator } from '../../../dist/tracing/propagation.js';

test('fuzz: garbage in every declared variable and start() option never throws, keeps tracing on, warns once per value', () => {
  // Driven by the settings table: a newly declared variable or option is fuzzed without a change here.
  const variables = Object.keys(SETTINGS);
  const options = [...Object.values(SETTINGS).flatMap((d) => (d.option ? [d.option.name] : [])), ...Object.keys(OPTION_ONLY_SETTINGS)];
  const labels = new Set([...variables, ...options.map((o) => `start({ ${o} })`), 'start(options)']);
  const nasty = [
    '',
    ' ',
    'abc',
    '-1',
    '1e309',
    'NaN',
    '\u0000\u0001\u0002',
    '%E0%A4%A',
    'a=b=c',
    ',,,,',
    ':::',
    'k:v k2',
    '😀=😀',
    'x'.repeat(100_000),
    '0x10',
    'true false',
    'http://',
    'ftp://x',
    '\n\r\t',
    'grpc',
    'none',
  ];
  // Credentials go where they are expected (URLs, secret settings) and must never be printed from there.
  const urlSecrets = [
    'https://user:s3cr3t@collector:4318/v1/traces?k=s3cr3t',
    'ftp://user:s3cr3t@x/?s3cr3t',
    'user:s3cr3t@collector:4318',
    'http://user:s3cr3t@bad host/?s3cr3t',
    'http://s3cr3t@x:1#s3cr3t',
  ];
  const secretFor = (name) => (SETTINGS[name].secret ? ['authorization=Bearer s3cr3t'] : SETTINGS[name].parse === parseHttpUrl ? urlSecrets : undefined);
  const urlOptions = Object.values(SETTINGS)
    .filter((d) => d.option && d.parse === parseHttpUrl)
    .map((d) => d.option.name);
  const nastyOptions = [
    5,
    -1,
    Number.NaN,
    Infinity,
    1e21,
    1.5,
    true,
    null,
    {},
    [],
    ['b3'],
    [1, 2],
    ['express', 'bogus'],
    'x'.repeat(100_000),
    'headers',
    10n,
    () => 1,
    { a: 5 },
    {
      toJSON() {
        throw new Error('no');
      },
    },
    ...nasty,
  ];
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const any = (list) => list[Math.floor(rand() * list.length)];
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const env = {};
    for (const v of variables) if (rand() < 0.6) env[v] = secretFor(v) && rand() < 0.5 ? any(secretFor(v)) : any(nasty) + (rand() < 0.3 ? any(nasty) : '');
    const startOptions = {};
    for (const o of options) if (rand() < 0.3) startOptions[o] = urlOptions.includes(o) && rand() < 0.5 ? any(urlSecrets) : any(nastyOptions);
    const config = resolveConfig(env, startOptions, () => undefined);
    assert.equal(typeof config.service, 'string');
    assert.ok(config.service.length > 0);
    assert.ok(/^https?:\/\//.test(config.tracesEndpoint), config.tracesEndpoint);
    assert.ok(['http/protobuf', 'http/json'].includes(config.protocol), config.protocol);
    assert.ok(config.sampler.ratio >= 0 && config.sampler.ratio <= 1);
    assert.ok(Number.isFinite(config.shutdownTimeoutMs) && config.shutdownTimeoutMs >= 0);
    assert.ok(Number.isFinite(config.lambda.flushTimeoutMs) && config.lambda.flushTimeoutMs >= 0);
    assert.equal(config.disabled, /^\s*(true|1)\s*$/i.test(env.OTEL_SDK_DISABLED ?? ''), 'only OTEL_SDK_DISABLED turns tracing off');
    assert.doesNotThrow(() => createPropagator(config));
    const seen = new Set();
    for (const w of config.warnings) {
      assert.ok(w.length < 600, 'a warning stays one readable line');
      const label = w.slice(0, w.indexOf(': '));
      assert.ok(labels.has(label), `a warning names a declared variable or option: ${w.slice(0, 200)}`);
      assert.ok(!seen.has(label), `one warning per variable or option: ${label}`);
      seen.add(label);
    }
    const printed = [...config.warnings, ...describeSettings(config)].join('\n');
    assert.ok(!printed.includes('s3cr3t'), `no credentials printed: ${printed.slice(0, 2000)}`);
  }
  assert.ok(Date.now() - started < 30_000, 'no pathological slowness');
});
