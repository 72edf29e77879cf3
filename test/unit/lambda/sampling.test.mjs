// What reaches Datadog from a Lambda invocation (src/lambda/invocation-parent.ts, src/sampler.ts,
// src/propagation.ts): every invocation is exported whatever X-Ray sampled, parented on Lambda's X-Ray
// segment only when X-Ray recorded it, with Datadog's sampling priority in the documented order; the
// strict mode reproduces the earlier behaviour.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context as contextApi, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHandlerWrapper } from '../../../dist/lambda/invocation.js';
import { createSampler } from '../../../dist/tracing/sampler.js';
import { createPropagator } from '../../../dist/tracing/propagation.js';
import { DatadogNames } from '../../../dist/datadog/span-names.js';

contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(createPropagator({ propagators: ['xray', 'datadog', 'tracecontext', 'baggage'], datadogInjection: true }));

const ROOT = '6a1b2c3d4e5f60718293a4b5c6d7e8f9';
const SEGMENT = '5555555555555555';
const active = (sampled) => `Root=1-${ROOT.slice(0, 8)}-${ROOT.slice(8)};Parent=${SEGMENT};Sampled=${sampled}`;
const passThroughRootOnly = `Root=1-${ROOT.slice(0, 8)}-${ROOT.slice(8)}`;
const passThroughUnsampled = `Root=1-${ROOT.slice(0, 8)}-${ROOT.slice(8)};Parent=${SEGMENT};Sampled=0;Lineage=a87bd80c:1|68fd508a:5`;
const UP_TRACE = '0af7651916cd43dd8448eb211c80319c';
const UP_SPAN = 'b7ad6b7169203331';
const w3c = (flags) => ({ headers: { traceparent: `00-${UP_TRACE}-${UP_SPAN}-${flags}` }, httpMethod: 'GET', requestContext: { requestId: 'r' } });
const ddHost = (priority) => ({
  headers: { 'x-datadog-trace-id': '12345', 'x-datadog-parent-id': '67890', 'x-datadog-sampling-priority': String(priority) },
  httpMethod: 'GET',
  requestContext: { requestId: 'r' },
});
const sqsDatadog = {
  Records: [
    {
      messageId: 'm',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:1:q',
      body: '{}',
      attributes: { AWSTraceHeader: active(0) },
      messageAttributes: { _datadog: { stringValue: '{"x-datadog-trace-id":"12345","x-datadog-parent-id":"67890","x-datadog-sampling-priority":"1"}', dataType: 'String' } },
    },
  ],
};

function run({
  xrayHeader,
  event = {},
  samplingMode = 'all',
  parentPriority = 'xray-env',
  sampler = { name: 'parentbased_always_on', ratio: 1, explicit: false },
  inferredSpans = false,
}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ sampler: createSampler(sampler), spanProcessors: [new DatadogNames(), new SimpleSpanProcessor(exporter)] });
  const wrap = createHandlerWrapper(
    { tracer: provider.getTracer('t'), parentPriority, samplingMode, inferredSpans, maxLinks: 8, flushTimeoutMs: 100, flushWithin: async () => true },
    {},
  );
  const outgoing = {};
  const handler = wrap(async () => {
    propagation.inject(contextApi.active(), outgoing);
    provider.getTracer('child').startSpan('child').end();
  });
  return handler(event, { functionName: 'fn', awsRequestId: 'a', xRayTraceId: xrayHeader, getRemainingTimeInMillis: () => 3000 }).then(() => {
    const spans = exporter.getFinishedSpans();
    const invocation = spans.find((s) => s.name === 'fn');
    return { spans, invocation, outgoing };
  });
}

const view = ({ invocation, spans, outgoing }) =>
  invocation && {
    exported: spans.length,
    trace:
      invocation.spanContext().traceId === ROOT
        ? 'xray'
        : invocation.spanContext().traceId === UP_TRACE
          ? 'upstream'
          : invocation.spanContext().traceId.endsWith((12345).toString(16))
            ? 'datadog'
            : 'new',
    parent: invocation.parentSpanContext?.spanId ?? null,
    priority: invocation.attributes['sampling.priority'],
    childPriority: spans.find((s) => s.name === 'child')?.attributes['sampling.priority'],
    outgoingW3cFlags: outgoing.traceparent?.slice(-2),
    outgoingXraySampled: /Sampled=(\d)/.exec(outgoing['x-amzn-trace-id'] ?? '')?.[1],
    outgoingDdPriority: outgoing['x-datadog-sampling-priority'],
  };

const table = [
  // name, input, expected view
  [
    'Active, X-Ray sampled: child of the segment, kept',
    { xrayHeader: active(1) },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'Active, X-Ray not sampled: exported as the root of a new trace',
    { xrayHeader: active(0) },
    { exported: 2, trace: 'new', parent: null, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'PassThrough, Root= only: root of a new trace',
    { xrayHeader: passThroughRootOnly },
    { exported: 2, trace: 'new', parent: null, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'PassThrough, Sampled=0;Lineage=: root of a new trace',
    { xrayHeader: passThroughUnsampled },
    { exported: 2, trace: 'new', parent: null, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'X-Ray not sampled, dd-trace host upstream (priority 2): its child, its priority',
    { xrayHeader: active(0), event: ddHost(2) },
    {
      exported: 2,
      trace: 'datadog',
      parent: (67890).toString(16).padStart(16, '0'),
      priority: 2,
      childPriority: 2,
      outgoingW3cFlags: '01',
      outgoingXraySampled: '1',
      outgoingDdPriority: '2',
    },
  ],
  [
    'X-Ray sampled, dd-trace upstream dropped (priority 0): under the segment, priority 0, passed on as dropped',
    { xrayHeader: active(1), event: ddHost(0) },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: 0, childPriority: 0, outgoingW3cFlags: '00', outgoingXraySampled: '0', outgoingDdPriority: '0' },
  ],
  [
    'X-Ray not sampled, W3C upstream not sampled: exported for the stats, priority 0',
    { xrayHeader: active(0), event: w3c('00') },
    { exported: 2, trace: 'upstream', parent: UP_SPAN, priority: 0, childPriority: 0, outgoingW3cFlags: '00', outgoingXraySampled: '0', outgoingDdPriority: '0' },
  ],
  [
    'X-Ray not sampled, SQS message with a sampled _datadog: joins the producer',
    { xrayHeader: passThroughUnsampled, event: sqsDatadog },
    {
      exported: 3,
      trace: 'datadog',
      parent: (67890).toString(16).padStart(16, '0'),
      priority: 1,
      childPriority: 1,
      outgoingW3cFlags: '01',
      outgoingXraySampled: '1',
      outgoingDdPriority: '1',
    },
  ],
  [
    'headers priority: the upstream parents even under a sampled segment',
    { xrayHeader: active(1), event: w3c('01'), parentPriority: 'headers' },
    { exported: 2, trace: 'upstream', parent: UP_SPAN, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'OTEL_TRACES_SAMPLER set (ratio 0): its decision is the priority, the span is still exported',
    { xrayHeader: active(1), sampler: { name: 'parentbased_traceidratio', ratio: 0, explicit: true } },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: 0, childPriority: 0, outgoingW3cFlags: '00', outgoingXraySampled: '0', outgoingDdPriority: '0' },
  ],
  [
    'OTEL_TRACES_SAMPLER set, but the upstream decided: the upstream wins',
    { xrayHeader: active(1), event: ddHost(2), sampler: { name: 'parentbased_traceidratio', ratio: 0, explicit: true } },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: 2, childPriority: 2, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '2' },
  ],
  [
    'xray-priority mode: X-Ray Sampled=0 becomes priority 0 when nothing else decided',
    { xrayHeader: active(0), samplingMode: 'xray-priority' },
    { exported: 2, trace: 'new', parent: null, priority: 0, childPriority: 0, outgoingW3cFlags: '00', outgoingXraySampled: '0', outgoingDdPriority: '0' },
  ],
  [
    'xray-priority mode: X-Ray Sampled=1 keeps',
    { xrayHeader: active(1), samplingMode: 'xray-priority' },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: 1, childPriority: 1, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
  [
    'strict (xray) mode, X-Ray sampled: child of the segment, no priority attribute',
    { xrayHeader: active(1), samplingMode: 'xray' },
    { exported: 2, trace: 'xray', parent: SEGMENT, priority: undefined, childPriority: undefined, outgoingW3cFlags: '01', outgoingXraySampled: '1', outgoingDdPriority: '1' },
  ],
];

for (const [name, input, expected] of table) {
  test(`sampling: ${name}`, async () => {
    assert.deepEqual(view(await run(input)), expected);
  });
}

test('strict (xray) mode reproduces the earlier behaviour: X-Ray Sampled=0 exports nothing, with or without an upstream', async () => {
  for (const event of [{}, ddHost(2), sqsDatadog]) {
    const { spans } = await run({ xrayHeader: active(0), samplingMode: 'xray', event });
    assert.equal(spans.length, 0);
  }
  const { spans } = await run({ xrayHeader: passThroughRootOnly, samplingMode: 'xray', event: ddHost(1) });
  assert.equal(spans.length, 2, 'no X-Ray parent: the upstream parents, as before');
});

test('host spans are untouched: an unmarked context follows the configured sampler', () => {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: createSampler({ name: 'parentbased_always_on', ratio: 1, explicit: false }),
    spanProcessors: [new DatadogNames(), new SimpleSpanProcessor(exporter)],
  });
  const parent = trace.setSpanContext(contextApi.active(), { traceId: UP_TRACE, spanId: UP_SPAN, traceFlags: 0, isRemote: true });
  provider.getTracer('t').startSpan('server', {}, parent).end();
  provider.getTracer('t').startSpan('root').end();
  assert.deepEqual(
    exporter.getFinishedSpans().map((s) => [s.name, s.attributes['sampling.priority']]),
    [['root', undefined]],
  );
});

test("inferred spans: producer -> the queue's hop -> invocation; the hop carries the decision, the invocation inherits it; off by the setting", async () => {
  const sent = Date.now() - 250;
  const event = { Records: [{ ...sqsDatadog.Records[0], attributes: { AWSTraceHeader: active(0), SentTimestamp: String(sent) } }] };
  const { spans, invocation } = await run({ xrayHeader: active(0), event, inferredSpans: true });
  const hop = spans.find((s) => s.name === 'aws.sqs');
  assert.ok(hop, spans.map((s) => s.name).join());
  assert.equal(hop.parentSpanContext.spanId, (67890).toString(16).padStart(16, '0'), "the hop's parent is the producer");
  assert.equal(invocation.parentSpanContext.spanId, hop.spanContext().spanId, "the invocation is the hop's child");
  assert.deepEqual(
    [hop.attributes['operation.name'], hop.attributes['service.name'], hop.attributes['resource.name'], hop.attributes['span.type'], hop.kind],
    ['aws.sqs', 'q', 'q', 'web', 4],
  );
  const startMs = hop.startTime[0] * 1000 + hop.startTime[1] / 1e6;
  const endMs = hop.endTime[0] * 1000 + hop.endTime[1] / 1e6;
  const invocationStart = invocation.startTime[0] * 1000 + invocation.startTime[1] / 1e6;
  assert.equal(Math.round(startMs), sent, 'from the SentTimestamp');
  assert.ok(endMs <= invocationStart + 1, 'to the start of processing');
  assert.equal(hop.attributes['sampling.priority'], 1);
  assert.equal(invocation.attributes['sampling.priority'], 1);
  const off = await run({ xrayHeader: active(0), event, inferredSpans: false });
  assert.equal(off.spans.filter((s) => s.name === 'aws.sqs').length, 0);
});
