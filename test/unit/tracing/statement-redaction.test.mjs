// No literal value leaves in a database span (src/tracing/statement-redaction.ts): SQL keeps its shape
// with literals as `?`, Redis keeps its command; the opt-ins keep them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { obfuscateSql, commandOnly, DbStatementRedactor } from '../../../dist/tracing/statement-redaction.js';

const sql = [
  // [input, options, expected]
  ["SELECT id FROM users WHERE email = 'ada@example.com' AND pin = 9384167219", {}, 'SELECT id FROM users WHERE email = ? AND pin = ?'],
  ["SELECT 'it''s' , E'a\\'b', 1.5e3, .5, 0xFF", {}, 'SELECT ? , ?, ?, ?, ?'],
  ['SELECT $1::int AS id, ? , :name, @id FROM t1', {}, 'SELECT $1::int AS id, ? , :name, @id FROM t1'],
  ["INSERT INTO t (a, b) VALUES ('x', 2), ('y', 3)", {}, 'INSERT INTO t (a, b) VALUES (?, ?), (?, ?)'],
  ['SELECT $tag$secret; DROP$tag$, $$also$$', {}, 'SELECT ?, ?'],
  ["SELECT 1 -- comment 'secret'\n/* 'more' */ FROM \"Users\"", {}, 'SELECT ? \n FROM "Users"'],
  ["SELECT * FROM t WHERE p = 'C:\\' AND q = 1", {}, 'SELECT * FROM t WHERE p = ? AND q = ?'],
  ["SELECT * FROM t WHERE p = 'a\\'b' AND q = \"str\"", { backslashEscapes: true, doubleQuotedStrings: true }, 'SELECT * FROM t WHERE p = ? AND q = ?'],
  ["SELECT id FROM t WHERE name IN ('a', 'b')", {}, 'SELECT id FROM t WHERE name IN (?, ?)'],
  ["SELECT 'unterminated", {}, '?'],
];
for (const [input, options, expected] of sql) {
  test(`obfuscateSql: ${input.slice(0, 60).replace(/\n/g, ' ')}`, () => {
    assert.equal(obfuscateSql(input, options), expected);
  });
}

test('commandOnly: the command, never its keys', () => {
  assert.equal(commandOnly('set session:7f3a [1 other arguments]'), 'set ?');
  assert.equal(commandOnly('get session:7f3a'), 'get ?');
  assert.equal(commandOnly('PING'), 'PING');
});

function redacted(keep, attributes) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new DbStatementRedactor(keep), new SimpleSpanProcessor(exporter)] });
  provider.getTracer('t').startSpan('q', { kind: SpanKind.CLIENT, attributes }).end();
  return exporter.getFinishedSpans()[0].attributes;
}

test('the processor: SQL and Redis by default; each opt-in keeps its kind; mongodb is left as its instrumentation wrote it', () => {
  const off = { statements: false, commands: false };
  assert.equal(redacted(off, { 'db.system.name': 'postgresql', 'db.query.text': "SELECT 'x'" })['db.query.text'], 'SELECT ?');
  assert.equal(redacted(off, { 'db.system': 'mysql', 'db.statement': 'SELECT "x"' })['db.statement'], 'SELECT ?');
  assert.equal(redacted(off, { 'db.system.name': 'redis', 'db.query.text': 'set k:1 v' })['db.query.text'], 'set ?');
  assert.equal(redacted({ statements: true, commands: false }, { 'db.system.name': 'postgresql', 'db.query.text': "SELECT 'x'" })['db.query.text'], "SELECT 'x'");
  assert.equal(redacted({ statements: true, commands: false }, { 'db.system.name': 'redis', 'db.query.text': 'set k:1 v' })['db.query.text'], 'set ?');
  assert.equal(redacted({ statements: false, commands: true }, { 'db.system.name': 'redis', 'db.query.text': 'set k:1 v' })['db.query.text'], 'set k:1 v');
  assert.equal(redacted(off, { 'db.system.name': 'mongodb', 'db.query.text': '{"find":"?"}' })['db.query.text'], '{"find":"?"}');
  assert.equal(redacted(off, { 'http.request.method': 'GET' })['db.query.text'], undefined);
});
