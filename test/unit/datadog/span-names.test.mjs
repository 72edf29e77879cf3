// What Datadog shows for a span (src/datadog/span-names.ts), table-driven: the collector's datadog
// exporter reads operation.name, resource.name, the legacy db.* keys, out.host and peer.service, and
// sampling.priority; the instrumentations write the stable conventions.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SpanKind, trace, TraceFlags, ROOT_CONTEXT } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { DatadogNames } from '../../../dist/datadog/span-names.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({ spanProcessors: [new DatadogNames(), new SimpleSpanProcessor(exporter)] });

function ended(scope, name, kind, attributes, parent = ROOT_CONTEXT) {
  exporter.reset();
  provider.getTracer(scope).startSpan(name, { kind, attributes }, parent).end();
  return exporter.getFinishedSpans()[0].attributes;
}

const pick = (attributes, keys) => Object.fromEntries(keys.map((k) => [k, attributes[k]]));
const KEYS = ['operation.name', 'resource.name', 'db.system', 'db.statement', 'out.host', 'peer.service'];

const rows = [
  [
    'PostgreSQL query (stable conventions)',
    'pg',
    'pg.query:SELECT',
    SpanKind.CLIENT,
    { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT $1::int', 'db.namespace': 'orders', 'server.address': '127.0.0.1' },
    {
      'operation.name': undefined,
      'resource.name': 'SELECT $1::int',
      'db.system': 'postgresql',
      'db.statement': 'SELECT $1::int',
      'out.host': '127.0.0.1',
      'peer.service': 'orders',
    },
  ],
  [
    'MySQL query (legacy keys already there)',
    'mysql2',
    'SELECT',
    SpanKind.CLIENT,
    { 'db.system': 'mysql', 'db.statement': 'SELECT 1', 'db.name': 'shop', 'server.address': 'db' },
    { 'operation.name': undefined, 'resource.name': 'SELECT 1', 'db.system': 'mysql', 'db.statement': 'SELECT 1', 'out.host': 'db', 'peer.service': 'shop' },
  ],
  [
    'Redis command: the command only, never its keys or values',
    'ioredis',
    'set',
    SpanKind.CLIENT,
    { 'db.system.name': 'redis', 'db.query.text': 'set session:7 [1 other arguments]', 'server.address': '127.0.0.1' },
    {
      'operation.name': undefined,
      'resource.name': 'SET',
      'db.system': 'redis',
      'db.statement': 'set session:7 [1 other arguments]',
      'out.host': '127.0.0.1',
      'peer.service': '127.0.0.1',
    },
  ],
  [
    'a resource set by the instrumentation is kept',
    'pg',
    'q',
    SpanKind.CLIENT,
    { 'db.system.name': 'postgresql', 'db.query.text': 'SELECT 2', 'resource.name': 'mine' },
    { 'operation.name': undefined, 'resource.name': 'mine', 'db.system': 'postgresql', 'db.statement': 'SELECT 2', 'out.host': undefined, 'peer.service': undefined },
  ],
  [
    'Lambda invocation: aws.lambda, the function name',
    'otel-xray-datadog/aws-lambda',
    'orders-fn',
    SpanKind.SERVER,
    {},
    { 'operation.name': 'aws.lambda', 'resource.name': 'orders-fn', 'db.system': undefined, 'db.statement': undefined, 'out.host': undefined, 'peer.service': undefined },
  ],
  [
    'a server span of another scope is not a Lambda invocation',
    'http',
    'GET',
    SpanKind.SERVER,
    {},
    { 'operation.name': undefined, 'resource.name': undefined, 'db.system': undefined, 'db.statement': undefined, 'out.host': undefined, 'peer.service': undefined },
  ],
  [
    'SQS consumer',
    'otel-xray-datadog/aws-lambda',
    'orders process',
    SpanKind.CONSUMER,
    { 'messaging.system': 'aws_sqs', 'messaging.operation.type': 'process', 'messaging.destination.name': 'orders' },
    { 'operation.name': 'aws_sqs.process', 'resource.name': 'orders', 'db.system': undefined, 'db.statement': undefined, 'out.host': undefined, 'peer.service': undefined },
  ],
  [
    'SNS producer: the topic name from its ARN',
    'aws-sdk',
    'events send',
    SpanKind.PRODUCER,
    { 'messaging.system': 'aws.sns', 'messaging.destination.name': 'arn:aws:sns:us-east-1:123456789012:events' },
    { 'operation.name': 'aws.sns.send', 'resource.name': 'events', 'db.system': undefined, 'db.statement': undefined, 'out.host': undefined, 'peer.service': undefined },
  ],
  [
    'a producer without messaging.system is left alone',
    'x',
    'send',
    SpanKind.PRODUCER,
    {},
    { 'operation.name': undefined, 'resource.name': undefined, 'db.system': undefined, 'db.statement': undefined, 'out.host': undefined, 'peer.service': undefined },
  ],
];

for (const [name, scope, spanName, kind, attributes, expected] of rows) {
  test(`Datadog names: ${name}`, () => {
    assert.deepEqual(pick(ended(scope, spanName, kind, attributes), KEYS), expected);
  });
}

test('sampling.priority from the tracestate dd entry, on every span of the trace; none without one', () => {
  const parent = (dd) =>
    trace.setSpanContext(ROOT_CONTEXT, {
      traceId: '6a1b2c3d4e5f60718293a4b5c6d7e8f9',
      spanId: '1111111111111111',
      traceFlags: TraceFlags.SAMPLED,
      isRemote: true,
      traceState: dd && new TraceState().set('dd', dd),
    });
  assert.equal(ended('t', 's', SpanKind.INTERNAL, {}, parent('s:2;o:rum'))['sampling.priority'], 2);
  assert.equal(ended('t', 's', SpanKind.INTERNAL, {}, parent('s:-1'))['sampling.priority'], -1);
  assert.equal(ended('t', 's', SpanKind.INTERNAL, {}, parent('o:rum'))['sampling.priority'], undefined);
  assert.equal(ended('t', 's', SpanKind.INTERNAL, {}, parent(undefined))['sampling.priority'], undefined);
});
