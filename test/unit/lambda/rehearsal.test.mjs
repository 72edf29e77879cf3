// The invocation rehearsed at Lambda init (src/lambda/invocation.ts rehearseInvocation): it runs an
// invocation's tracing once so the first real invocation runs warm code, and nothing of it is ever
// exported, counted as the cold start, or drawn as one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { context as contextApi, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHandlerWrapper, rehearseInvocation } from '../../../dist/lambda/invocation.js';
import { createSampler } from '../../../dist/tracing/sampler.js';

contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

function setup({ sampler = { name: 'parentbased_always_on', ratio: 1, explicit: false } } = {}) {
  const exporter = new InMemorySpanExporter();
  const ended = [];
  const provider = new BasicTracerProvider({
    sampler: createSampler(sampler),
    spanProcessors: [{ onStart() {}, onEnd: (span) => ended.push(span), forceFlush: async () => {}, shutdown: async () => {} }, new SimpleSpanProcessor(exporter)],
  });
  const flushes = [];
  const warmed = [];
  const tracing = {
    tracer: provider.getTracer('t'),
    parentPriority: 'xray-env',
    samplingMode: 'all',
    inferredSpans: true,
    maxLinks: 8,
    flushTimeoutMs: 500,
    flushWithin: async (ms) => {
      flushes.push(ms);
      return true;
    },
    warmUp: (span) => warmed.push(span),
  };
  return { tracing, exported: () => exporter.getFinishedSpans(), ended, flushes, warmed };
}

const env = { AWS_LAMBDA_FUNCTION_NAME: 'orders', AWS_REGION: 'eu-west-1' };
const lambdaContext = { functionName: 'orders', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 3000 };

test('the rehearsal runs every span processor and the flush, hands its span to warmUp, and exports nothing', async () => {
  const { tracing, exported, ended, flushes, warmed } = setup();
  rehearseInvocation(tracing, env);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ended.length, 1);
  assert.equal(ended[0].name, 'orders');
  assert.equal(ended[0].spanContext().traceFlags & 1, 0, 'recorded, not sampled');
  assert.deepEqual(flushes, [500]);
  assert.equal(warmed.length, 1);
  assert.equal(warmed[0], ended[0]);
  assert.equal(exported().length, 0);
});

test("the rehearsal runs in its invocation's context, as the handler does: the context manager's first run is paid at init", async () => {
  const { tracing, ended } = setup();
  const active = [];
  const flushWithin = tracing.flushWithin;
  tracing.flushWithin = (ms) => {
    active.push(trace.getSpan(contextApi.active()));
    return flushWithin(ms);
  };
  rehearseInvocation(tracing, env);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(active.length, 1);
  assert.equal(active[0], ended[0]);
  assert.equal(trace.getSpan(contextApi.active()), undefined);
});

test('a sampler configured to keep everything does not export the rehearsal either', async () => {
  const { tracing, exported, ended } = setup({ sampler: { name: 'always_on', ratio: 1, explicit: true } });
  rehearseInvocation(tracing, env);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(ended.length, 1);
  assert.equal(exported().length, 0);
});

test('the first invocation after the rehearsal is still the cold start, and is exported', async () => {
  const { tracing, exported } = setup();
  const wrap = createHandlerWrapper(tracing, env);
  rehearseInvocation(tracing, env);
  const handler = wrap(async () => 'ok');
  assert.equal(await handler({}, lambdaContext), 'ok');
  assert.equal(await handler({}, { ...lambdaContext, awsRequestId: 'req-2' }), 'ok');
  const spans = exported();
  assert.deepEqual(
    spans.map((s) => [s.attributes['faas.invocation_id'], s.attributes['faas.coldstart']]),
    [
      ['req-1', true],
      ['req-2', false],
    ],
  );
});

test('a rehearsal whose tracer throws leaves init and the invocations alone', async () => {
  const { tracing, exported } = setup();
  const broken = {
    ...tracing,
    tracer: {
      startSpan() {
        throw new Error('boom');
      },
    },
  };
  assert.doesNotThrow(() => rehearseInvocation(broken, env));
  const handler = createHandlerWrapper(tracing, env)(async () => 'ok');
  assert.equal(await handler({}, lambdaContext), 'ok');
  assert.equal(exported().length, 1);
});
