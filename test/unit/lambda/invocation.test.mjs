// The Lambda handler wrapper in-process: outcome parity with the unwrapped handler,
// span timing for callback handlers, per-invocation parents and flush budgets.
// node-matrix: 22 24
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { context as contextApi, propagation } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createHandlerWrapper, xrayTraceHeader } from '../../../dist/lambda/invocation.js';
import { isEsModuleFile, locateHandler } from '../../../dist/lambda/handler-file.js';
import { createSampler } from '../../../dist/tracing/sampler.js';

contextApi.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());

const xray = (root, parent) => `Root=1-${root.slice(0, 8)}-${root.slice(8)};Parent=${parent};Sampled=1`;
const ROOT_A = '6a1b2c3d4e5f60718293a4b5c6d7e8f9';
const ROOT_B = '6b000000000000000000000000000001';

/** flushWithin as start.ts builds it: `flushAll` raced against the budget. */
const within = (flushAll) => (ms) =>
  new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    flushAll().then(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });

function setup({ flushAll = async () => {}, flushTimeoutMs = 1000, env = {}, samplingMode = 'all', parentPriority = 'xray-env' } = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    sampler: createSampler({ name: 'parentbased_always_on', ratio: 1, explicit: false }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const wrap = createHandlerWrapper({ tracer: provider.getTracer('t'), parentPriority, samplingMode, maxLinks: 128, flushTimeoutMs, flushWithin: within(flushAll) }, env);
  return { wrap, spans: () => exporter.getFinishedSpans() };
}

const lambdaContext = (extra = {}) => ({
  functionName: 'fn',
  awsRequestId: 'req-1',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:fn',
  getRemainingTimeInMillis: () => 3000,
  ...extra,
});

/** Calls a handler the way the nodejs20.x/22.x runtime does (callback always passed); resolves its outcome. */
function invokeWithCallback(handler, event, ctx) {
  return new Promise((resolve) => {
    const done = (error, result) => resolve({ error, result });
    try {
      const r = handler(event, ctx, done);
      if (r && typeof r.then === 'function')
        r.then(
          (v) => done(null, v),
          (e) => done(e),
        );
    } catch (e) {
      done(e);
    }
  });
}

test('the wrapper keeps the handler arity, name and runtime markers (nodejs24.x rejects 3-argument handlers by it)', () => {
  const { wrap } = setup();
  const streaming = Symbol.for('aws.lambda.runtime.handler.streaming');
  const callbackHandler = function handler(event, context, callback) {
    callback(null, 1);
  };
  callbackHandler[streaming] = 'response';
  const wrapped = wrap(callbackHandler);
  assert.equal(wrapped.length, 3);
  assert.equal(wrapped.name, 'handler');
  assert.equal(wrapped[streaming], 'response');
  assert.equal(wrap(async (event) => event).length, 1);
});

test('a callback handler that returns at once: the span lasts until the callback and records its error', async () => {
  const { wrap, spans } = setup();
  let calledBack;
  const handler = wrap((event, context, callback) => {
    setTimeout(() => {
      calledBack = Date.now();
      callback(new Error('from the callback'));
    }, 30);
  });
  const outcome = await invokeWithCallback(handler, {}, lambdaContext());
  assert.equal(outcome.error.message, 'from the callback', 'the runtime gets the same error');
  const [span] = spans();
  assert.equal(spans().length, 1, 'one span, ended once');
  const endMs = span.endTime[0] * 1000 + span.endTime[1] / 1e6;
  assert.ok(endMs >= calledBack - 1, 'the span ended when the handler called back, not when it returned');
  assert.equal(span.status.code, 2);
  assert.equal(span.events[0].name, 'exception');
});

test('outcomes are what the runtime would get untraced: value, rejection, synchronous throw, non-Error failure', async () => {
  const { wrap, spans } = setup();
  assert.deepEqual(
    await invokeWithCallback(
      wrap(async () => ({ ok: 1 })),
      {},
      lambdaContext(),
    ),
    { error: null, result: { ok: 1 } },
  );
  const rejected = await invokeWithCallback(
    wrap(async () => Promise.reject(new TypeError('bad'))),
    {},
    lambdaContext(),
  );
  assert.ok(rejected.error instanceof TypeError);
  const thrown = await invokeWithCallback(
    wrap(() => {
      throw new RangeError('sync');
    }),
    {},
    lambdaContext(),
  );
  assert.ok(thrown.error instanceof RangeError);
  const stringFailure = await invokeWithCallback(
    wrap((e, c, cb) => cb('plain string')),
    {},
    lambdaContext(),
  );
  assert.equal(stringFailure.error, 'plain string');
  // Without a callback (nodejs24.x): a synchronous throw becomes a rejection after the flush.
  await assert.rejects(
    Promise.resolve(
      wrap(function (event, context) {
        throw new Error('no callback here');
      })({}, lambdaContext()),
    ),
    /no callback here/,
  );
  assert.deepEqual(
    spans().map((s) => s.status.code),
    [0, 2, 2, 2, 2],
  );
});

test('the flush completes before the runtime hears the outcome', async () => {
  const order = [];
  const { wrap } = setup({ flushAll: async () => order.push('flushed') });
  await invokeWithCallback(
    wrap((e, c, cb) => setTimeout(() => cb(null, 'x'), 5)),
    {},
    lambdaContext(),
  ).then(() => order.push('runtime told'));
  await invokeWithCallback(
    wrap(async () => 'y'),
    {},
    lambdaContext(),
  ).then(() => order.push('runtime told'));
  assert.deepEqual(order, ['flushed', 'runtime told', 'flushed', 'runtime told']);
});

test('concurrent invocations keep their own X-Ray parent and flush budget (Lambda Managed Instances)', async () => {
  let releaseFlush;
  const flushGate = new Promise((r) => (releaseFlush = r));
  const { wrap, spans } = setup({ flushAll: () => flushGate, flushTimeoutMs: 60_000, env: {} });
  const handler = wrap(async (event) => {
    await new Promise((r) => setTimeout(r, event.delay));
    return event.name;
  });
  // A has no time left, so its flush budget is 0; B has plenty and waits for the flush.
  let bSettled = false;
  const a = handler({ name: 'a', delay: 20 }, lambdaContext({ awsRequestId: 'a', xRayTraceId: xray(ROOT_A, '00000000000000aa'), getRemainingTimeInMillis: () => 0 }));
  const b = handler({ name: 'b', delay: 1 }, lambdaContext({ awsRequestId: 'b', xRayTraceId: xray(ROOT_B, '00000000000000bb'), getRemainingTimeInMillis: () => 600_000 }));
  b.then(() => (bSettled = true));
  assert.equal(await a, 'a');
  assert.equal(bSettled, false, "B still waits for its flush: A's budget did not replace B's");
  releaseFlush();
  assert.equal(await b, 'b');
  const byId = Object.fromEntries(spans().map((s) => [s.attributes['faas.invocation_id'], s]));
  assert.equal(byId.a.spanContext().traceId, ROOT_A);
  assert.equal(byId.a.parentSpanContext.spanId, '00000000000000aa');
  assert.equal(byId.b.spanContext().traceId, ROOT_B);
  assert.equal(byId.b.parentSpanContext.spanId, '00000000000000bb');
  assert.equal(byId.a.attributes['faas.coldstart'], true);
  assert.equal(byId.b.attributes['faas.coldstart'], false, 'only the first invocation of the process is a cold start');
});

test('X-Ray context source order: context.xRayTraceId, then the invoke store, then _X_AMZN_TRACE_ID', () => {
  const env = { _X_AMZN_TRACE_ID: xray(ROOT_A, '1111111111111111') };
  assert.equal(xrayTraceHeader({ xRayTraceId: xray(ROOT_B, '2222222222222222') }, env), xray(ROOT_B, '2222222222222222'));
  globalThis.awslambda = { InvokeStore: { getXRayTraceId: () => xray(ROOT_B, '3333333333333333') } };
  try {
    assert.equal(xrayTraceHeader({}, env), xray(ROOT_B, '3333333333333333'));
    globalThis.awslambda.InvokeStore.getXRayTraceId = () => {
      throw new Error('outside an invocation');
    };
    assert.equal(xrayTraceHeader({}, env), env._X_AMZN_TRACE_ID, 'a store that throws is skipped');
  } finally {
    delete globalThis.awslambda;
  }
  assert.equal(xrayTraceHeader(undefined, env), env._X_AMZN_TRACE_ID);
  assert.equal(xrayTraceHeader({ xRayTraceId: 42 }, {}), undefined, 'malformed values are ignored');
});

test('handler file resolution and how the runtime will load it', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'task-root-'));
  try {
    fs.mkdirSync(path.join(root, 'src', 'esm'), { recursive: true });
    fs.writeFileSync(path.join(root, 'src', 'app.cjs'), '');
    fs.writeFileSync(path.join(root, 'src', 'esm', 'fn.js'), '');
    fs.writeFileSync(path.join(root, 'src', 'esm', 'package.json'), '{"type":"module"}');
    fs.writeFileSync(path.join(root, 'index.mjs'), '');

    assert.deepEqual(locateHandler({ LAMBDA_TASK_ROOT: root, _HANDLER: 'src/app.handler' }), { file: path.join(root, 'src', 'app.cjs'), moduleName: 'app', exportName: 'handler' });
    const esm = locateHandler({ LAMBDA_TASK_ROOT: root, _HANDLER: 'src/esm/fn.main' });
    assert.equal(esm.file, path.join(root, 'src', 'esm', 'fn.js'));
    assert.equal(isEsModuleFile(esm.file), true, 'nearest package.json says module');
    assert.equal(isEsModuleFile(path.join(root, 'src', 'app.cjs')), false);
    assert.equal(isEsModuleFile(locateHandler({ LAMBDA_TASK_ROOT: root, _HANDLER: 'index.handler' }).file), true);
    for (const bad of ['missing.handler', 'index', 'index.', '.handler', '']) {
      assert.equal(locateHandler({ LAMBDA_TASK_ROOT: root, _HANDLER: bad }), undefined, `_HANDLER=${bad}`);
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
});
