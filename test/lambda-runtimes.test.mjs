// The layer under AWS's real runtime interface client, started the way the managed
// bootstrap starts it (AWS_LAMBDA_EXEC_WRAPPER), on the runtimes people deploy:
// Node 20 + aws-lambda-ric 3.x (nodejs20.x), Node 22 + 3.x (nodejs22.x), Node 22 + 4.x
// (nodejs22.x Managed Instances), Node 24 + 4.x (nodejs24.x).
// OTEL_XRAY_DD_RIC_COMBOS="20/3,24/4" restricts the combinations run.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { fixtures } from '../harness/processes.mjs';
import { prepareRuntime, ricCombos, startSandbox, unpackLayer } from '../harness/lambda-sandbox.mjs';
import { waitUntil } from '../harness/wait.mjs';

const combos = ricCombos();

const HANDLERS = [
  { name: 'CommonJS async', dir: 'cjs', handler: 'index.handler' },
  { name: 'ES module', dir: 'esm', handler: 'index.handler' },
  { name: 'callback', dir: 'cjs', handler: 'callback.handler', callback: true },
];

const xray = (root, parent) => `Root=1-${root.slice(0, 8)}-${root.slice(8)};Parent=${parent};Sampled=1`;
const TRACES = [
  ['6a000000000000000000000000000001', '00000000000000a1'],
  ['6a000000000000000000000000000002', '00000000000000a2'],
  null, // no X-Ray header: a new trace, not the previous invocation's parent
  ['6a000000000000000000000000000004', '00000000000000a4'],
];

let opt;
let receiver;
before(async () => {
  opt = unpackLayer();
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver?.close();
  if (opt) fs.rmSync(opt, { recursive: true, force: true });
});

const spansOf = (fn) => receiver.spans.filter((s) => s.resource['faas.name'] === fn && s.scope === 'otel-xray-datadog/aws-lambda');

for (const [nodeMajor, ricMajor] of combos) {
  describe(`Node ${nodeMajor} + aws-lambda-ric ${ricMajor}.x, layer exec wrapper`, () => {
    before(() => prepareRuntime(nodeMajor, ricMajor));

    async function sandbox(t, { dir, handler, fn, layer = true, env = {}, ...rest }) {
      const sb = await startSandbox({
        nodeMajor,
        ricMajor,
        taskRoot: path.join(fixtures, 'lambda', dir),
        handler,
        functionName: fn,
        execWrapper: layer ? path.join(opt, 'otel-xray-datadog-handler') : undefined,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...env },
        ...rest,
      });
      t.after(() => sb.stop());
      return sb;
    }
    const output = (sb) => `stdout: ${sb.output().stdout}\nstderr: ${sb.output().stderr}`;

    for (const variant of HANDLERS) {
      const fn = `ric-${nodeMajor}-${ricMajor}-${variant.dir}-${variant.handler.split('.')[0]}`;
      if (variant.callback && ricMajor >= 4) {
        it(`${variant.name} handler: Init fails with Runtime.CallbackHandlerDeprecated, exactly as without the layer`, async (t) => {
          const outcomes = [];
          for (const layer of [false, true]) {
            const sb = await sandbox(t, { ...variant, fn: `${fn}-${layer}`, layer });
            const result = await sb.invoke({ event: {} });
            const init = await Promise.race([sb.runtime.initError, new Promise((r) => setTimeout(() => r(undefined), 10_000))]);
            outcomes.push({ ok: result.ok, errorType: init?.errorType, message: init?.errorMessage });
          }
          assert.equal(outcomes[0].errorType, 'Runtime.CallbackHandlerDeprecated', JSON.stringify(outcomes));
          assert.deepEqual(outcomes[1], outcomes[0]);
        });
        continue;
      }
      it(`${variant.name} handler: four invocations, each joined to its own X-Ray segment, its span sent before the response (it arrives while the sandbox is stopped)`, async (t) => {
        // Its own path on the shared receiver, so this sandbox's requests can be told apart.
        const sb = await sandbox(t, { ...variant, fn, env: { OTEL_EXPORTER_OTLP_ENDPOINT: `${receiver.url}/${fn}` } });
        const results = [];
        for (const trace of TRACES) {
          const result = await sb.invoke({ event: { n: results.length + 1 }, traceId: trace ? xray(...trace) : undefined });
          results.push(result);
          // Freeze the sandbox the moment it has answered, as Lambda does: its span must already be on its way.
          process.kill(-sb.pid, 'SIGSTOP');
          try {
            await waitUntil(() => spansOf(fn).some((s) => s.attributes['faas.invocation_id'] === result.requestId), {
              timeoutMs: 5_000,
              what: `invocation ${results.length}'s span while the sandbox is stopped`,
              seen: () => output(sb),
            });
          } finally {
            process.kill(-sb.pid, 'SIGCONT');
          }
        }
        assert.deepEqual(
          results.map((r) => r.ok),
          [true, true, true, true],
          output(sb),
        );
        const spans = spansOf(fn);
        assert.equal(spans.length, 4, `one span per invocation, all at the receiver before the responses\n${output(sb)}`);
        const byRequest = new Map(spans.map((s) => [s.attributes['faas.invocation_id'], s]));
        results.forEach((result, i) => {
          const span = byRequest.get(result.requestId);
          assert.ok(span, `span for invocation ${i + 1}`);
          assert.equal(span.attributes['faas.coldstart'], i === 0, `invocation ${i + 1}: cold start on the first only`);
          const trace = TRACES[i];
          if (trace) {
            assert.equal(span.traceId, trace[0], `invocation ${i + 1}: X-Ray Root is the trace id`);
            assert.equal(span.parentSpanId, trace[1], `invocation ${i + 1}: X-Ray Parent is the parent`);
          } else {
            assert.equal(span.parentSpanId, undefined, 'no stale parent from the previous invocation');
            assert.ok(!TRACES.some((tr) => tr && tr[0] === span.traceId), 'a new trace');
          }
          if (variant.callback) assert.ok(span.durationMs >= 55, `the span covers the handler until its callback (${span.durationMs} ms)`);
        });
        // Init sends one export request without spans (it opens the connection the first flush can reuse;
        // whether it does depends on when the runtime client lets the event loop run, so that is not asserted).
        const probes = () => receiver.requests.filter((r) => r.url === `/${fn}/v1/traces` && r.body === '');
        await waitUntil(() => probes().length > 0, { timeoutMs: 5_000, what: "init's export request without spans", seen: () => output(sb) });
        assert.equal(probes().length, 1, output(sb));
      });
    }

    it('the ES module hook is registered for an ES module handler only, even where the runtime imports every handler; both are traced', async (t) => {
      const registered = {};
      for (const dir of ['cjs', 'esm']) {
        const fn = `hook-${nodeMajor}-${ricMajor}-${dir}`;
        const sb = await sandbox(t, { dir, handler: 'index.handler', fn, env: { OTEL_LOG_LEVEL: 'debug' } });
        const result = await sb.invoke({ event: {} });
        assert.equal(result.ok, true, output(sb));
        await waitUntil(() => spansOf(fn).length === 1, { timeoutMs: 5_000, what: `${fn}'s invocation span`, seen: () => output(sb) });
        registered[dir] = /ES module hook registered/.test(output(sb)); // debug lines: console.debug, stdout
      }
      assert.deepEqual(registered, { cjs: false, esm: true });
    });

    it('an ES module handler: import-in-the-middle loads only when the handler imports an instrumented module; the file keeps its exports; a named import of node:http is traced', async (t) => {
      // Node 20 has no in-thread hooks: import-in-the-middle runs in the loader thread from the start.
      const inThread = nodeMajor >= 22;
      const loadedLine = /import-in-the-middle loaded at the first import of an instrumented module/;
      const bare = `iitm-${nodeMajor}-${ricMajor}-bare`;
      const sbBare = await sandbox(t, { dir: 'esm', handler: 'index.handler', fn: bare, env: { OTEL_LOG_LEVEL: 'debug' } });
      assert.equal((await sbBare.invoke({ event: {} })).ok, true, output(sbBare));
      await waitUntil(() => spansOf(bare).length === 1, { timeoutMs: 5_000, what: `${bare}'s invocation span`, seen: () => output(sbBare) });
      assert.equal(loadedLine.test(output(sbBare)), false, output(sbBare));

      const fn = `iitm-${nodeMajor}-${ricMajor}-http`;
      const sb = await sandbox(t, { dir: 'esm-http', handler: 'index.handler', fn, env: { OTEL_LOG_LEVEL: 'debug' } });
      const result = await sb.invoke({ event: { url: `${receiver.url}/not-otlp` } });
      assert.equal(result.ok, true, output(sb));
      assert.deepEqual(result.body, {
        status: 200,
        exports: ['default', 'handler', 'helper'],
        kept: 'the default export of the handler file',
        helper: 'another export',
      });
      assert.equal(loadedLine.test(output(sb)), inThread, output(sb));
      await waitUntil(() => receiver.spans.filter((s) => s.resource['faas.name'] === fn).length === 2, { timeoutMs: 5_000, what: `${fn}'s two spans`, seen: () => output(sb) });
      const [invocation] = spansOf(fn);
      const client = receiver.spans.find((s) => s.resource['faas.name'] === fn && s.scope !== 'otel-xray-datadog/aws-lambda');
      assert.deepEqual([client.name, client.kind, client.attributes['http.response.status_code'], client.parentSpanId], ['GET', 3, 200, invocation.spanId]);
    });

    it('cold start spans (OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE=true): the first invocation draws the init and its slow module load; none later; nothing when off', async (t) => {
      const byFn = {};
      for (const on of [true, false]) {
        const fn = `ric-${nodeMajor}-${ricMajor}-cold-${on}`;
        const sb = await sandbox(t, { dir: 'cold-start', handler: 'index.handler', fn, env: on ? { OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE: 'true' } : {} });
        for (let i = 0; i < 2; i++) assert.equal((await sb.invoke({ event: {}, traceId: xray(...TRACES[i]) })).ok, true, output(sb));
        await waitUntil(() => receiver.spans.filter((s) => s.resource['faas.name'] === fn && s.scope === 'otel-xray-datadog/aws-lambda').length >= 2, {
          timeoutMs: 10_000,
          what: `${fn} spans`,
        });
        byFn[on] = receiver.spans.filter((s) => s.resource['faas.name'] === fn);
      }
      assert.deepEqual(
        byFn[false].map((s) => s.name).sort(),
        [`ric-${nodeMajor}-${ricMajor}-cold-false`, `ric-${nodeMajor}-${ricMajor}-cold-false`],
        'off: only the invocation spans',
      );
      const spans = byFn[true];
      const invocations = spans.filter((s) => s.name === `ric-${nodeMajor}-${ricMajor}-cold-true`);
      const first = invocations.find((s) => s.attributes['faas.coldstart'] === true);
      const load = spans.filter((s) => s.name === 'aws.lambda.load');
      assert.equal(load.length, 1, 'one load span, on the cold start only');
      assert.equal(load[0].parentSpanId, first.spanId);
      assert.equal(load[0].attributes['resource.name'], `ric-${nodeMajor}-${ricMajor}-cold-true`);
      const slow = spans.filter((s) => s.name === 'aws.lambda.require' && s.attributes['resource.name'] === './slow-module');
      assert.equal(slow.length, 1, spans.map((s) => `${s.name} ${s.attributes['resource.name'] ?? ''}`).join('\n'));
      assert.ok(slow[0].durationMs >= 35, `the slow module's load (${slow[0].durationMs} ms)`);
      // Every require span hangs under the load span, directly or through the require that loaded it.
      const byId = new Map(spans.map((s) => [s.spanId, s]));
      for (const span of spans.filter((s) => s.name === 'aws.lambda.require')) {
        let up = byId.get(span.parentSpanId);
        while (up && up.name === 'aws.lambda.require') up = byId.get(up.parentSpanId);
        assert.equal(up?.name, 'aws.lambda.load');
      }
    });

    it('a failing handler: the runtime reports the same error with and without the layer; the span records it', async (t) => {
      const outcomes = [];
      for (const layer of [false, true]) {
        const fn = `ric-${nodeMajor}-${ricMajor}-fails-${layer}`;
        const sb = await sandbox(t, { dir: 'cjs', handler: 'index.handler', fn, layer });
        const r = await sb.invoke({ event: { fail: 'boom' }, traceId: xray(...TRACES[0]) });
        outcomes.push({ ok: r.ok, status: r.status, errorType: r.errorType, errorMessage: r.errorMessage });
      }
      assert.equal(outcomes[0].ok, false);
      assert.deepEqual(outcomes[1], outcomes[0]);
      // Written before the response; read by the receiver a moment later.
      const [span] = await waitUntil(() => spansOf(`ric-${nodeMajor}-${ricMajor}-fails-true`).length === 1 && spansOf(`ric-${nodeMajor}-${ricMajor}-fails-true`), {
        timeoutMs: 5_000,
        what: 'the failing invocation span',
      });
      assert.equal(span.status.code, 2);
    });

    if (ricMajor >= 4) {
      it('Managed Instances: concurrent invocations in one process each join their own X-Ray segment', async (t) => {
        const fn = `ric-${nodeMajor}-${ricMajor}-concurrent`;
        const sb = await sandbox(t, { dir: 'cjs', handler: 'index.handler', fn, maxConcurrency: 4, workers: 2 });
        const traces = [1, 2, 3, 4].map((n) => [`6b00000000000000000000000000000${n}`, `00000000000000b${n}`]);
        const results = await Promise.all(traces.map((trace, i) => sb.invoke({ event: { n: i }, traceId: xray(...trace) })));
        assert.deepEqual(
          results.map((r) => r.ok),
          [true, true, true, true],
          output(sb),
        );
        await waitUntil(() => spansOf(fn).length === 4, { timeoutMs: 10_000, what: 'four invocation spans', seen: () => output(sb) });
        for (const [i, result] of results.entries()) {
          const span = spansOf(fn).find((s) => s.attributes['faas.invocation_id'] === result.requestId);
          assert.equal(span.traceId, traces[i][0]);
          assert.equal(span.parentSpanId, traces[i][1]);
        }
      });
    }
  });
}
