// Messaging carriers under hostile input, in-process (import from dist/: `npm run build`
// first): malformed `_datadog` JSON, huge attributes, 10,000-record events, non-string values,
// throwing getters, on the consumer side (event reader and the invocation wrapper) and the
// producer side (what the SDK middleware writes). Asserted: no exception, at most the
// configured number of links, never more than 10 message attributes. Times are measured and
// reported (test diagnostics), not asserted.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { context as contextApi, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { readEventTrace, MAX_LINK_BYTES } from '../../../dist/lambda/event-sources/index.js';
import { createSampler } from '../../../dist/tracing/sampler.js';
import { createHandlerWrapper } from '../../../dist/lambda/invocation.js';
import { messageAttributesWithContext, MAX_MESSAGE_ATTRIBUTES } from '../../../dist/messaging/aws-sdk/message-attributes.js';
import { withContext } from '../../../dist/messaging/aws-sdk/message-context.js';
import { withJsonKey } from '../../../dist/messaging/aws-sdk/json-key.js';
import { MAX_CLIENT_CONTEXT } from '../../../dist/messaging/aws-sdk/lambda-invoke.js';
import { DatadogPropagator } from '../../../dist/datadog/propagator.js';
import { resolveConfig } from '../../../dist/config/resolve-config.js';
import { defaultOf } from '../../../dist/config/settings.js';

const DEFAULT_MAX_LINKS = defaultOf('OTEL_XRAY_DD_LAMBDA_MAX_LINKS');
/** The messaging settings as the configuration resolves them from `env`. */
const messagingSettings = (env) => resolveConfig(env, {}, () => undefined).messaging;

contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

// A deterministic PRNG, so a failure reproduces.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const hex = (random, n) => Array.from({ length: n }, () => Math.floor(random() * 16).toString(16)).join('');
const traceparent = (random) => `00-${hex(random, 32)}-${hex(random, 16)}-01`;
const ddJson = (random) =>
  JSON.stringify({
    'x-datadog-trace-id': String(1 + Math.floor(random() * 1e15)),
    'x-datadog-parent-id': String(1 + Math.floor(random() * 1e15)),
    'x-datadog-sampling-priority': '1',
  });
const HUGE = 'x'.repeat(10 * 1024 * 1024);
// Built once: the generator must not spend the test's time copying megabytes.
const HUGE_TRACEPARENT_JSON = `{"traceparent":"${HUGE}"}`;
const DEEP = '['.repeat(100_000);
const LONG_TRACESTATE = 'k=v,'.repeat(5000);
const BIG_VALUE = HUGE.slice(0, 300_000);

/** Values of every JSON and non-JSON kind, malformed carriers among them. */
function junk(random) {
  const options = [
    () => undefined,
    () => null,
    () => 42,
    () => -0,
    () => Number.NaN,
    () => true,
    () => [],
    () => ({}),
    () => [traceparent(random)],
    () => ({ stringValue: 7 }),
    () => '{',
    () => '{"x-datadog-trace-id":',
    () => '{"x-datadog-trace-id":1,"x-datadog-parent-id":{"a":1}}',
    () => '[1,2,3]',
    () => 'null',
    () => '{"__proto__":{"polluted":"yes"},"traceparent":"00-00000000000000000000000000000000-0000000000000000-01"}',
    () => DEEP,
    () => `{"traceparent":"${traceparent(random)}","tracestate":"${LONG_TRACESTATE}"}`,
    () => HUGE,
    () => HUGE_TRACEPARENT_JSON,
    () => Buffer.from(ddJson(random)).toString('base64'),
    () => '!!!not base64!!!',
    () => traceparent(random),
    () => `Root=1-${hex(random, 8)}-${hex(random, 24)};Parent=${hex(random, 16)};Sampled=1`,
    () => ddJson(random),
    () => '\u0000\uffff\ud800',
  ];
  return options[Math.floor(random() * options.length)]();
}

/** junk() without the megabyte values (for values the generator itself serializes). */
function small(random) {
  for (;;) {
    const value = junk(random);
    if (typeof value !== 'string' || value.length < 100_000) return value;
  }
}

function randomRecord(random, source) {
  const attr = () => ({ stringValue: junk(random), binaryValue: junk(random), dataType: junk(random) });
  switch (source) {
    case 'aws:sqs':
      return {
        eventSource: random() < 0.95 ? 'aws:sqs' : junk(random),
        messageId: junk(random),
        body:
          random() < 0.2
            ? JSON.stringify({
                Type: 'Notification',
                TopicArn: 'arn:x',
                MessageAttributes: { _datadog: { Type: 'Binary', Value: small(random) }, traceparent: { Type: 'String', Value: small(random) } },
              })
            : junk(random),
        attributes: random() < 0.2 ? junk(random) : { AWSTraceHeader: junk(random) },
        messageAttributes: random() < 0.2 ? junk(random) : { _datadog: attr(), traceparent: attr(), 'X-Datadog-Trace-Id': attr(), [String(junk(random))]: attr() },
        eventSourceARN: junk(random),
      };
    case 'aws:sns':
      return {
        EventSource: 'aws:sns',
        Sns:
          random() < 0.2
            ? junk(random)
            : {
                MessageId: junk(random),
                TopicArn: junk(random),
                MessageAttributes: { _datadog: { Type: random() < 0.5 ? 'Binary' : 'String', Value: junk(random) }, traceparent: { Type: 'String', Value: junk(random) } },
              },
      };
    default:
      return {
        eventSource: 'aws:kinesis',
        eventSourceARN: junk(random),
        kinesis:
          random() < 0.2
            ? junk(random)
            : {
                sequenceNumber: junk(random),
                data: random() < 0.5 ? Buffer.from(JSON.stringify({ _datadog: JSON.parse(ddJson(random)), v: 1 })).toString('base64') : junk(random),
              },
      };
  }
}

function randomEvent(random) {
  const kind = Math.floor(random() * 5);
  if (kind === 3)
    return {
      'detail-type': 'X',
      source: junk(random) ?? 's',
      detail: random() < 0.5 ? junk(random) : { _datadog: random() < 0.5 ? junk(random) : JSON.parse(ddJson(random)), traceparent: junk(random) },
    };
  if (kind === 4) return junk(random);
  const source = ['aws:sqs', 'aws:sns', 'aws:kinesis'][kind];
  const count = Math.floor(random() * 30);
  return { Records: Array.from({ length: count }, () => (random() < 0.1 ? junk(random) : randomRecord(random, source))) };
}

test('consumer: 3,000 random events (malformed `_datadog`, non-string values, huge values): no exception, at most the configured links', (t) => {
  const random = rng(12);
  let longest = 0;
  let total = 0;
  let withLinks = 0;
  for (let i = 0; i < 3000; i++) {
    const event = randomEvent(random);
    const clientContext = random() < 0.3 ? { custom: random() < 0.5 ? junk(random) : { traceparent: junk(random), 'x-datadog-trace-id': junk(random) } } : junk(random);
    const maxLinks = [0, 1, 5, DEFAULT_MAX_LINKS][i % 4];
    const started = performance.now();
    const result = readEventTrace(event, clientContext, maxLinks);
    const took = performance.now() - started;
    total += took;
    longest = Math.max(longest, took);
    assert.ok(result.links.length <= maxLinks, `event ${i}: ${result.links.length} links > ${maxLinks}`);
    if (result.links.length > 0) withLinks++;
    for (const link of result.links) assert.ok(trace.isSpanContextValid(link.context), `event ${i}: only valid contexts are linked`);
  }
  assert.equal({}.polluted, undefined, 'no prototype pollution');
  assert.ok(withLinks > 100, `the generator produces linkable events too (${withLinks})`);
  t.diagnostic(`3,000 events: ${total.toFixed(0)} ms in total, slowest ${longest.toFixed(1)} ms`);
});

test('consumer: 10,000-record events of each source: links stop at the configured count and within the byte bound', (t) => {
  const random = rng(7);
  const events = {
    sqs: {
      Records: Array.from({ length: 10_000 }, (_, i) => ({
        eventSource: 'aws:sqs',
        messageId: `m-${i}`,
        eventSourceARN: 'arn:aws:sqs:us-east-1:1:q',
        attributes: { AWSTraceHeader: `Root=1-${hex(random, 8)}-${hex(random, 24)};Parent=${hex(random, 16)};Sampled=1` },
        messageAttributes: { _datadog: { stringValue: ddJson(random), dataType: 'String' } },
      })),
    },
    'sns->sqs': {
      Records: Array.from({ length: 10_000 }, (_, i) => ({
        eventSource: 'aws:sqs',
        messageId: `m-${i}`,
        body: JSON.stringify({
          Type: 'Notification',
          TopicArn: 'arn:aws:sns:us-east-1:1:t',
          Message: 'y'.repeat(2000),
          MessageAttributes: { traceparent: { Type: 'String', Value: traceparent(random) } },
        }),
      })),
    },
    sns: {
      Records: Array.from({ length: 10_000 }, (_, i) => ({
        EventSource: 'aws:sns',
        Sns: {
          MessageId: `s-${i}`,
          TopicArn: 'arn:aws:sns:us-east-1:1:t',
          MessageAttributes: { _datadog: { Type: 'Binary', Value: Buffer.from(ddJson(random)).toString('base64') } },
        },
      })),
    },
    kinesis: {
      Records: Array.from({ length: 10_000 }, (_, i) => ({
        eventSource: 'aws:kinesis',
        eventSourceARN: 'arn:aws:kinesis:us-east-1:1:stream/s',
        kinesis: { sequenceNumber: String(i), data: Buffer.from(JSON.stringify({ payload: 'z'.repeat(1000), _datadog: JSON.parse(ddJson(random)) })).toString('base64') },
      })),
    },
    'no context': {
      Records: Array.from({ length: 10_000 }, (_, i) => ({ eventSource: 'aws:sqs', messageId: `m-${i}`, body: `{"TopicArn":1,"MessageAttributes":${'1'.repeat(1000)}}` })),
    },
  };
  for (const [name, event] of Object.entries(events)) {
    for (const maxLinks of [DEFAULT_MAX_LINKS, 1000]) {
      const started = performance.now();
      const result = readEventTrace(event, undefined, maxLinks);
      const took = performance.now() - started;
      assert.ok(result.links.length <= maxLinks);
      if (name !== 'no context') assert.ok(result.links.length > 0, name);
      const bytes = result.links.reduce(
        (sum, l) => sum + 96 + (l.context.traceState?.serialize().length ?? 0) + 24 + String(l.attributes?.['messaging.message.id'] ?? '').length,
        0,
      );
      assert.ok(bytes <= MAX_LINK_BYTES, `${name}: ${bytes} bytes of links`);
      assert.equal(result.upstream, undefined, `${name}: a batch never offers a parent`);
      assert.equal(result.consumer.attributes['messaging.batch.message_count'], 10_000);
      t.diagnostic(`${name}, max ${maxLinks}: ${result.links.length} links in ${took.toFixed(1)} ms`);
    }
  }
});

test('consumer: single huge values (10 MiB attribute, body, Kinesis data, client context) are skipped, not parsed', (t) => {
  const cases = {
    'attribute 10 MiB': { Records: [{ eventSource: 'aws:sqs', messageAttributes: { _datadog: { stringValue: `{"a":"${HUGE}"}` }, traceparent: { stringValue: HUGE } } }] },
    'body 10 MiB': { Records: [{ eventSource: 'aws:sqs', body: `{"TopicArn":"x","MessageAttributes":{},"pad":"${HUGE}"}` }] },
    'kinesis 10 MiB': { Records: [{ eventSource: 'aws:kinesis', kinesis: { data: Buffer.from(`{"_datadog":{},"pad":"${HUGE}"}`).toString('base64') } }] },
    'eventbridge 10 MiB': { 'detail-type': 'x', source: 's', detail: { _datadog: { traceparent: HUGE }, traceparent: HUGE } },
  };
  for (const [name, event] of Object.entries(cases)) {
    const started = performance.now();
    const result = readEventTrace(event, { custom: { traceparent: HUGE } }, 10);
    t.diagnostic(`${name}: ${(performance.now() - started).toFixed(1)} ms`);
    assert.equal(result?.links.length ?? 0, 0, name);
  }
});

test('the invocation wrapper: hostile events (throwing getters, proxies, 10,000 records) never reach the handler as errors', async (t) => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: createSampler({ name: 'parentbased_always_on', ratio: 1, explicit: false }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  const wrap = createHandlerWrapper(
    { tracer: provider.getTracer('t'), parentPriority: 'xray-env', samplingMode: 'all', maxLinks: DEFAULT_MAX_LINKS, flushTimeoutMs: 100, flushWithin: async () => true },
    {},
  );
  const handler = wrap(async (event) => ({ ok: true, kind: typeof event }));
  const throwing = new Proxy(
    {},
    {
      get() {
        throw new Error('getter');
      },
      has() {
        throw new Error('has');
      },
      ownKeys() {
        throw new Error('keys');
      },
    },
  );
  const random = rng(99);
  const events = [
    throwing,
    { Records: throwing },
    { Records: [throwing] },
    { Records: [{ eventSource: 'aws:sqs', messageAttributes: throwing }] },
    {
      Records: [
        {
          get eventSource() {
            throw new Error('x');
          },
        },
      ],
    },
    {
      'detail-type': 'x',
      source: 's',
      get detail() {
        throw new Error('detail');
      },
    },
    { Records: Array.from({ length: 10_000 }, () => ({ eventSource: 'aws:sqs', messageAttributes: { traceparent: { stringValue: traceparent(random) } } })) },
  ];
  const contexts = [{}, { clientContext: throwing }, { clientContext: { custom: throwing } }, { clientContext: { custom: { traceparent: traceparent(random) } } }];
  let n = 0;
  for (const event of events) {
    for (const extra of contexts) {
      const started = performance.now();
      const result = await handler(event, { functionName: 'fn', awsRequestId: `r-${++n}`, getRemainingTimeInMillis: () => 3000, ...extra });
      t.diagnostic(`event ${events.indexOf(event)} / context ${contexts.indexOf(extra)}: ${(performance.now() - started).toFixed(1)} ms`);
      assert.deepEqual(result, { ok: true, kind: 'object' });
    }
  }
  for (const span of exporter.getFinishedSpans()) assert.ok(span.links.length <= DEFAULT_MAX_LINKS);
  const consumer = exporter.getFinishedSpans().find((s) => s.attributes['messaging.batch.message_count'] === 10_000);
  assert.equal(consumer.links.length, DEFAULT_MAX_LINKS);
});

test('settings: unusable values fall back to the defaults', () => {
  assert.equal(DEFAULT_MAX_LINKS, 128);
  assert.deepEqual(messagingSettings({}), { eventBridgeInject: false, kinesisInject: false, maxLinks: DEFAULT_MAX_LINKS });
  assert.deepEqual(messagingSettings({ OTEL_XRAY_DD_EVENTBRIDGE_INJECT: 'TRUE', OTEL_XRAY_DD_KINESIS_INJECT: 'true', OTEL_XRAY_DD_LAMBDA_MAX_LINKS: '0' }), {
    eventBridgeInject: true,
    kinesisInject: true,
    maxLinks: 0,
  });
  for (const bad of ['-1', '1e3', '1001', 'many', ' 12x']) assert.equal(messagingSettings({ OTEL_XRAY_DD_LAMBDA_MAX_LINKS: bad }).maxLinks, DEFAULT_MAX_LINKS, bad);
  assert.equal(messagingSettings({ OTEL_XRAY_DD_KINESIS_INJECT: 'yes' }).kinesisInject, false);
});

test("producer: 3,000 random inputs: no exception, never more than 10 attributes, the caller's input never modified", (t) => {
  propagation.setGlobalPropagator(
    new CompositePropagator({ propagators: [new AWSXRayPropagator(), new DatadogPropagator(true), new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }),
  );
  const random = rng(3);
  const carriers = [
    { 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1', traceparent: traceparent(random) },
    { traceparent: traceparent(random), tracestate: 'a=b', baggage: 'k=v', 'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' },
    { 'x-datadog-trace-id': '1', 'x-datadog-parent-id': '2', traceparent: traceparent(random) },
  ];
  const attributes = () => {
    if (random() < 0.2) return small(random);
    const count = Math.floor(random() * 13);
    return Object.fromEntries(
      Array.from({ length: count }, (_, i) => [
        i === 0 && random() < 0.3 ? 'traceparent' : `a${i}`,
        random() < 0.8 ? { DataType: 'String', StringValue: random() < 0.02 ? BIG_VALUE : 'v' } : small(random),
      ]),
    );
  };
  const inputs = () => {
    const kind = Math.floor(random() * 8);
    switch (kind) {
      case 0:
        return [
          'SQS',
          'SendMessage',
          {
            QueueUrl: 'q',
            MessageBody: random() < 0.1 ? small(random) : 'body',
            MessageAttributes: attributes(),
            MessageSystemAttributes: random() < 0.3 ? small(random) : undefined,
          },
        ];
      case 1:
        return [
          'SQS',
          'SendMessageBatch',
          {
            QueueUrl: 'q',
            Entries:
              random() < 0.2
                ? small(random)
                : Array.from({ length: Math.floor(random() * 12) }, (_, i) =>
                    random() < 0.1 ? small(random) : { Id: String(i), MessageBody: 'b', MessageAttributes: attributes() },
                  ),
          },
        ];
      case 2:
        return ['SNS', 'Publish', { TopicArn: 'arn', Message: 'm', MessageAttributes: attributes() }];
      case 3:
        return [
          'SNS',
          'PublishBatch',
          {
            TopicArn: 'arn',
            PublishBatchRequestEntries: Array.from({ length: Math.floor(random() * 12) }, (_, i) => ({ Id: String(i), Message: 'm', MessageAttributes: attributes() })),
          },
        ];
      case 4:
        return [
          'EventBridge',
          'PutEvents',
          {
            Entries:
              random() < 0.2
                ? small(random)
                : Array.from({ length: Math.floor(random() * 12) }, () => ({ Source: 's', DetailType: 'd', Detail: random() < 0.5 ? small(random) : '{"a":1}' })),
          },
        ];
      case 5:
        return ['Kinesis', 'PutRecord', { StreamName: 's', PartitionKey: 'k', Data: random() < 0.5 ? Buffer.from(String(small(random))) : new Uint8Array([0xff, 0xfe, 0x7b]) }];
      case 6:
        return [
          'Kinesis',
          'PutRecords',
          { StreamName: 's', Records: Array.from({ length: Math.floor(random() * 600) }, () => ({ PartitionKey: 'k', Data: Buffer.from('{"a":1}') })) },
        ];
      default:
        return [
          'Lambda',
          'Invoke',
          { FunctionName: 'f', ClientContext: random() < 0.5 ? small(random) : Buffer.from(JSON.stringify({ custom: small(random) })).toString('base64') },
        ];
    }
  };
  let longest = 0;
  for (let i = 0; i < 3000; i++) {
    const [service, command, input] = inputs();
    const before = JSON.stringify(input, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
    const carrier = carriers[i % carriers.length];
    const started = performance.now();
    const out = withContext(service, command, input, carrier, { eventBridgeInject: true, kinesisInject: true, maxLinks: 1 });
    longest = Math.max(longest, performance.now() - started);
    assert.equal(
      JSON.stringify(input, (_, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v)),
      before,
      `input ${i} not modified`,
    );
    if (out === undefined) continue;
    const messages = service === 'SQS' && command === 'SendMessageBatch' ? out.Entries : service === 'SNS' && command === 'PublishBatch' ? out.PublishBatchRequestEntries : [out];
    const originals =
      service === 'SQS' && command === 'SendMessageBatch' ? input.Entries : service === 'SNS' && command === 'PublishBatch' ? input.PublishBatchRequestEntries : [input];
    for (const [m, message] of (messages ?? []).entries()) {
      const attrs = message?.MessageAttributes;
      // Attributes are added only up to the limit; a message already past it is the caller's business.
      if (attrs && typeof attrs === 'object' && attrs !== originals[m]?.MessageAttributes) {
        assert.ok(Object.keys(attrs).length <= MAX_MESSAGE_ATTRIBUTES, `input ${i}: ${Object.keys(attrs).length} attributes`);
      }
    }
    if (service === 'Lambda') assert.ok(out.ClientContext.length <= MAX_CLIENT_CONTEXT);
  }
  t.diagnostic(`slowest producer input: ${longest.toFixed(1)} ms`);
});

test('producer: huge inputs (10 MiB body, detail, record, client context) are sent unchanged or within their limits', (t) => {
  const carrier = {
    traceparent: '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01',
    'x-amzn-trace-id': 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
  };
  const settings = { eventBridgeInject: true, kinesisInject: true, maxLinks: 1 };
  const cases = [
    ['SQS', 'SendMessage', { QueueUrl: 'q', MessageBody: HUGE }],
    ['SQS', 'SendMessage', { QueueUrl: 'q', MessageBody: 'x'.repeat(256 * 1024 - 20) }],
    ['SNS', 'Publish', { TopicArn: 't', Message: 'x'.repeat(256 * 1024 - 20) }],
    ['EventBridge', 'PutEvents', { Entries: [{ Source: 's', DetailType: 'd', Detail: HUGE_TRACEPARENT_JSON }] }],
    ['Kinesis', 'PutRecord', { StreamName: 's', PartitionKey: 'k', Data: Buffer.from(HUGE_TRACEPARENT_JSON) }],
    ['Lambda', 'Invoke', { FunctionName: 'f', ClientContext: HUGE }],
  ];
  for (const [service, command, input] of cases) {
    const started = performance.now();
    const out = withContext(service, command, input, carrier, settings);
    t.diagnostic(`${service}.${command}: ${(performance.now() - started).toFixed(1)} ms`);
    if (service === 'SQS' || service === 'SNS') assert.equal(out?.MessageAttributes, undefined, `${service}: no attribute pushes the message past 256 KiB`);
    // EventBridge: the entry's TraceHeader is set (not part of the event), the detail is not touched.
    else if (service === 'EventBridge') assert.ok(out.Entries[0].Detail === input.Entries[0].Detail, 'EventBridge: detail unchanged');
    else assert.ok(out === undefined, `${service}.${command}: unchanged`);
  }
});

test('producer helpers: attribute budget and JSON insertion edge cases', () => {
  const carrier = { traceparent: '00-5759e988bd862e3fe1be46a994272793-53995c3f42cd8ad8-01', tracestate: 'a=b', baggage: 'k=v' };
  const attrs = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: 'v' }]));
  assert.deepEqual(Object.keys(messageAttributesWithContext(attrs(0), carrier, 'String')), ['traceparent', 'tracestate', 'baggage']);
  assert.deepEqual(Object.keys(messageAttributesWithContext(attrs(8), carrier, 'String')).slice(8), ['traceparent', 'tracestate']);
  assert.deepEqual(Object.keys(messageAttributesWithContext(attrs(9), carrier, 'String')).slice(9), ['traceparent']);
  assert.equal(messageAttributesWithContext(attrs(10), carrier, 'String'), undefined);
  assert.equal(messageAttributesWithContext(attrs(0), carrier, 'String', 10), undefined, 'no room within the size limit');
  // A stale traceparent of ours is replaced, not counted.
  assert.equal(Object.keys(messageAttributesWithContext({ ...attrs(9), traceparent: { DataType: 'String', StringValue: 'old' } }, carrier, 'String')).length, 10);
  assert.equal(withJsonKey(' {}', '_datadog', '{"a":"b"}'), ' {"_datadog":{"a":"b"}}');
  assert.equal(withJsonKey('{"n":1.0}', '_datadog', '{}'), '{"_datadog":{},"n":1.0}');
  for (const notObject of ['[]', '"s"', '1', '', '{', '{"_datadog":1}', 'null']) assert.equal(withJsonKey(notObject, '_datadog', '{}'), undefined, notObject);
});
