// Smoke test of the Lambda test infrastructure, no tracing involved: AWS's real runtime
// interface client (aws-lambda-ric) on each Node major of the managed runtimes, driven by
// our Runtime API server (harness/runtime-api.mjs, lambda-sandbox.mjs).
// The binaries are built once into the cache outside the repository (.ci/run prepares
// them); a cold build in `before` takes 1-2 minutes per combination.
// OTEL_XRAY_DD_RIC_COMBOS="20/3,24/4" restricts the combinations run.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { fixtures } from '../harness/processes.mjs';
import { prepareRuntime, ricCombos, startSandbox } from '../harness/lambda-sandbox.mjs';

const taskRoot = path.join(fixtures, 'ric', 'cjs');
const combos = ricCombos();

const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';

function describeRun(sb) {
  const { stdout, stderr } = sb.output();
  return `argv: ${sb.argv.join(' ')}\nstdout: ${stdout}\nstderr: ${stderr}`;
}

for (const [nodeMajor, ricMajor] of combos) {
  describe(`Node ${nodeMajor} + aws-lambda-ric ${ricMajor}.x`, () => {
    let info;
    before(() => {
      info = prepareRuntime(nodeMajor, ricMajor);
    });

    async function sandbox(t, handler, env) {
      const sb = await startSandbox({ nodeMajor, ricMajor, taskRoot, handler, env });
      t.after(() => sb.stop());
      return sb;
    }

    it('runs the requested Node and client versions', () => {
      assert.match(info.nodeVersion, new RegExp(`^v${nodeMajor}\\.`));
      assert.match(info.ricVersion, new RegExp(`^${ricMajor}\\.`));
    });

    it('an async CommonJS handler returns its event, invocation after invocation', async (t) => {
      const sb = await sandbox(t, 'index.handler');
      for (const event of [{ hello: 'world', n: 1 }, ['a', 2, null], 'just a string']) {
        const res = await sb.invoke({ event, traceId });
        assert.equal(res.ok, true, `${JSON.stringify(res)}\n${describeRun(sb)}`);
        assert.equal(res.status, 'response');
        assert.deepEqual(res.body, event);
      }
      assert.equal(sb.runtime.stray.length, 0);
      assert.equal(sb.runtime.initErrorRecord, null);
    });

    it('passes the invocation headers through to the handler', async (t) => {
      const sb = await sandbox(t, 'index.inspect');
      const res = await sb.invoke({ event: { x: 1 }, traceId, clientContext: { custom: { k: 'v' } } });
      assert.equal(res.ok, true, `${JSON.stringify(res)}\n${describeRun(sb)}`);
      const seen = res.body;
      assert.equal(seen.node, info.nodeVersion);
      assert.equal(seen.awsRequestId, res.requestId);
      assert.equal(seen.functionName, 'ric-test');
      assert.deepEqual(seen.clientContext, { custom: { k: 'v' } });
      assert.ok(seen.remainingMs > 20_000 && seen.remainingMs <= 30_000, `remaining ${seen.remainingMs}`);
      // Both clients export the trace header as _X_AMZN_TRACE_ID in single-concurrency mode.
      assert.equal(seen.envTraceId, traceId);
      if (ricMajor >= 4) {
        assert.equal(seen.contextXRayTraceId, traceId);
        assert.deepEqual(seen.invokeStore, { kind: 'InvokeStoreSingle', requestId: res.requestId, xRayTraceId: traceId });
      } else {
        assert.equal(seen.contextXRayTraceId, '(absent)');
        assert.equal(seen.invokeStore, null);
      }
      // Without a trace header the variable is removed, not left from the previous invocation.
      const bare = await sb.invoke({ event: {} });
      assert.equal(bare.ok, true);
      assert.equal(bare.body.envTraceId, null);
    });

    it('reports a thrown error as an invocation error', async (t) => {
      const sb = await sandbox(t, 'index.fails');
      const res = await sb.invoke({ event: {} });
      assert.equal(res.ok, false, describeRun(sb));
      assert.equal(res.status, 'error');
      assert.equal(res.errorType, 'SmokeError');
      assert.equal(res.errorMessage, 'handler failed on purpose');
      // The process survives and serves the next invocation.
      assert.equal((await sb.invoke({ event: {} })).errorType, 'SmokeError');
    });

    if (ricMajor < 4) {
      it('a 3-argument callback handler works', async (t) => {
        const sb = await sandbox(t, 'callback.handler');
        const res = await sb.invoke({ event: { cb: 1 } });
        assert.equal(res.ok, true, `${JSON.stringify(res)}\n${describeRun(sb)}`);
        assert.deepEqual(res.body, { viaCallback: true, event: { cb: 1 } });
      });
    } else {
      it('a 3-argument callback handler fails Init with Runtime.CallbackHandlerDeprecated', async (t) => {
        const sb = await sandbox(t, 'callback.handler');
        const initError = await sb.runtime.initError;
        assert.equal(initError.errorType, 'Runtime.CallbackHandlerDeprecated', describeRun(sb));
        const { code } = await sb.exited;
        assert.notEqual(code, 0);
        const res = await sb.invoke({ event: {} });
        assert.equal(res.ok, false);
        assert.equal(res.status, 'init-error');
        assert.equal(res.errorType, 'Runtime.CallbackHandlerDeprecated');
      });

      it('runs overlapping invocations in one process in the multi-concurrent mode', async (t) => {
        const sb = await startSandbox({ nodeMajor, ricMajor, taskRoot, handler: 'index.sleep', maxConcurrency: 4, workers: 2 });
        t.after(() => sb.stop());
        await sb.runtime.waitForPollers(2); // one parked poll per worker thread
        const traces = [0, 1, 2, 3].map((i) => `Root=1-5759e988-bd862e3fe1be46a99427279${i};Parent=53995c3f42cd8ad${i};Sampled=1`);
        const results = await Promise.all(traces.map((traceId) => sb.invoke({ event: { ms: 300 }, traceId })));
        for (const [i, res] of results.entries()) {
          assert.equal(res.ok, true, `${JSON.stringify(res)}\n${describeRun(sb)}`);
          // Invoke-scoped state comes from the InvokeStore (AsyncLocalStorage), not the env.
          assert.equal(res.body.awsRequestId, res.requestId);
          assert.equal(res.body.storeRequestId, res.requestId);
          assert.equal(res.body.contextXRayTraceId, traces[i]);
          assert.equal(res.body.storeXRayTraceId, traces[i]);
          assert.equal(res.body.envTraceId, null);
        }
        assert.equal(new Set(results.map((r) => r.body.pid)).size, 1);
        const latestStart = Math.max(...results.map((r) => r.body.startedAt));
        const earliestEnd = Math.min(...results.map((r) => r.body.endedAt));
        assert.ok(latestStart < earliestEnd, 'all four invocations were running at the same time');
      });
    }
  });
}
