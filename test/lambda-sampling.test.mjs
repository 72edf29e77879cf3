// Datadog counts every invocation (issue: "X-Ray's sampler must not decide what Datadog sees"): through
// the layer under AWS's runtime client and the real collector to the Datadog intake double, a run of
// invocations with every X-Ray header shape Lambda passes (Active Sampled=1/0, PassThrough `Root=` only
// and `Sampled=0;Lineage=`), with and without an upstream context in the event (API Gateway headers
// from a dd-trace 6 host and from our own host, an SQS message with `_datadog`). Asserted at the
// intake: one invocation span per invocation, APM stats hits equal to the invocations, priorities as
// documented, and no span whose parent is an X-Ray segment that X-Ray never recorded. The strict mode
// (OTEL_XRAY_DD_LAMBDA_SAMPLING=xray) exports exactly what earlier releases did.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startCollector } from '../harness/collector.mjs';
import { startDatadogAgent, recordDdTraceHeaders } from '../harness/datadog-agent.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { cleanEnv, fixtures, registerCjs, startNode } from '../harness/processes.mjs';
import { prepareRuntime, ricCombos, startSandbox, unpackLayer } from '../harness/lambda-sandbox.mjs';

// nodejs22.x and nodejs24.x.
const combos = ricCombos().filter(([node, ric]) => (node === 22 && ric === 3) || (node === 24 && ric === 4));

const ROOT = (n) => `6c00000000000000000000000000000${n}`;
const SEGMENT = (n) => `00000000000000c${n}`;
const active = (n, sampled) => `Root=1-${ROOT(n).slice(0, 8)}-${ROOT(n).slice(8)};Parent=${SEGMENT(n)};Sampled=${sampled}`;
const rootOnly = (n) => `Root=1-${ROOT(n).slice(0, 8)}-${ROOT(n).slice(8)}`;
const lineage = (n) => `Root=1-${ROOT(n).slice(0, 8)}-${ROOT(n).slice(8)};Parent=${SEGMENT(n)};Sampled=0;Lineage=a87bd80c:1|68fd508a:5`;
const apiGateway = (headers) => ({
  resource: '/orders',
  path: '/orders',
  httpMethod: 'POST',
  headers,
  requestContext: { requestId: 'r', stage: 'prod', requestTimeEpoch: Date.now() },
  body: '{}',
});
const sqsWith = (carrier) => ({
  Records: [
    {
      messageId: 'm-1',
      body: '{}',
      eventSource: 'aws:sqs',
      eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:orders',
      attributes: { AWSTraceHeader: active(7, 0) },
      messageAttributes: { _datadog: { stringValue: JSON.stringify(carrier), dataType: 'String' } },
    },
  ],
});

let opt;
let agent;
let intake;
let collector;
const headers = {};
before(async () => {
  opt = unpackLayer();
  agent = await startDatadogAgent();
  intake = await startDatadogIntake();
  collector = await startCollector({ intakeUrl: intake.url });
  headers.ddKept = await recordDdTraceHeaders({ agentUrl: agent.url, module: 'dd-trace-6', service: 'dd6-host' });
  headers.ddRejected = await recordDdTraceHeaders({ agentUrl: agent.url, module: 'dd-trace-6', service: 'dd6-host-rejecting', env: { DD_TRACE_SAMPLE_RATE: '0' } });
  headers.ours = await ourHostHeaders();
});
after(async () => {
  await collector?.stop();
  await intake?.close();
  await agent?.close();
  if (opt) fs.rmSync(opt, { recursive: true, force: true });
});

/** What our own preload puts on a request a host makes (to API Gateway, here). */
async function ourHostHeaders() {
  let captured;
  const sink = http.createServer((req, res) => {
    captured = req.headers;
    res.end('{}');
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  const host = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
    env: cleanEnv({ DD_SERVICE: 'our-host', OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, DOWNSTREAM_URL: `http://127.0.0.1:${sink.address().port}/` }),
  });
  try {
    await fetch(`http://127.0.0.1:${host.match[1]}/call`);
  } finally {
    await host.stop();
    await new Promise((r) => sink.close(r));
  }
  return captured;
}

const ddParent = (h) => BigInt(h['x-datadog-parent-id']);
const ddPriority = (h) => Number(h['x-datadog-sampling-priority']);
const ourParent = (h) => BigInt(`0x${h.traceparent.split('-')[2]}`);

/** The run: [X-Ray header, event, expected parent (a Datadog span id, 0n for a root), expected priority, exported in strict mode]. */
function invocations() {
  return [
    ['Active, sampled', active(1, 1), {}, BigInt(`0x${SEGMENT(1)}`), 1, true],
    ['Active, not sampled', active(2, 0), {}, 0n, 1, false],
    ['PassThrough, Root only', rootOnly(3), {}, 0n, 1, true],
    ['PassThrough, Sampled=0;Lineage', lineage(4), {}, 0n, 1, false],
    ['not sampled, API Gateway from a dd-trace 6 host', active(5, 0), apiGateway(headers.ddKept), ddParent(headers.ddKept), ddPriority(headers.ddKept), false],
    ['sampled, API Gateway from our host', active(6, 1), apiGateway(headers.ours), BigInt(`0x${SEGMENT(6)}`), 1, true],
    ['PassThrough not sampled, SQS message with _datadog', lineage(7), sqsWith(headers.ddKept), ddParent(headers.ddKept), ddPriority(headers.ddKept), false],
    [
      'sampled, API Gateway from a dd-trace 6 host that dropped its trace',
      active(8, 1),
      apiGateway(headers.ddRejected),
      BigInt(`0x${SEGMENT(8)}`),
      ddPriority(headers.ddRejected),
      true,
    ],
  ];
}

for (const [nodeMajor, ricMajor] of combos) {
  describe(`Node ${nodeMajor} + aws-lambda-ric ${ricMajor}.x: what reaches Datadog`, () => {
    before(() => prepareRuntime(nodeMajor, ricMajor));

    async function run(t, fn, env) {
      const sb = await startSandbox({
        nodeMajor,
        ricMajor,
        taskRoot: path.join(fixtures, 'lambda', 'cjs'),
        handler: 'index.handler',
        functionName: fn,
        execWrapper: path.join(opt, 'otel-xray-datadog-handler'),
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, ...env },
      });
      t.after(() => sb.stop());
      const results = [];
      for (const [name, traceId, event] of invocations()) {
        const r = await sb.invoke({ event, traceId });
        assert.equal(r.ok, true, `${name}: ${JSON.stringify(r)}\n${sb.output().stderr}`);
        results.push(r.requestId);
      }
      return results;
    }

    const lambdaSpans = (fn) => intake.spans().filter((s) => s.service === fn && s.name === 'aws.lambda');
    const lambdaHits = (fn) =>
      intake
        .stats()
        .filter((g) => g.Service === fn && g.Name === 'aws.lambda')
        .reduce((sum, g) => sum + Number(g.Hits), 0);

    it('default: every invocation counted in APM stats, parented only on what was recorded, with the documented priority', async (t) => {
      const fn = `sampling-${nodeMajor}`;
      const requestIds = await run(t, fn, {});
      const runs = invocations();
      await intake.waitFor(() => lambdaHits(fn) === runs.length, 60_000, `APM stats hits = ${runs.length} for ${fn}`);
      // Datadog keeps (and so shows) what has a priority > 0; the collector's exporter does not send the rest as traces.
      const kept = runs.filter((r) => r[4] > 0).length;
      await intake.waitFor(() => lambdaSpans(fn).length === kept, 30_000, `${kept} kept invocation spans`);
      const byRequest = new Map(lambdaSpans(fn).map((s) => [s.meta['faas.invocation_id'], s]));
      runs.forEach(([name, , , parent, priority], i) => {
        const span = byRequest.get(requestIds[i]);
        if (priority <= 0) {
          assert.equal(span, undefined, `${name}: priority ${priority}, counted in the stats but not kept as a trace`);
          return;
        }
        assert.ok(span, `${name}: the invocation span reached Datadog`);
        assert.equal(span.parentID ?? 0n, parent, `${name}: parent (0: the root of its trace)`);
        assert.equal(span.priority, priority, `${name}: priority`);
      });
      assert.equal(lambdaHits(fn), runs.length, 'no invocation counted twice');
    });

    it('strict (OTEL_XRAY_DD_LAMBDA_SAMPLING=xray): what X-Ray did not sample is not exported, as in earlier releases', async (t) => {
      const fn = `sampling-strict-${nodeMajor}`;
      const requestIds = await run(t, fn, { OTEL_XRAY_DD_LAMBDA_SAMPLING: 'xray' });
      const runs = invocations();
      const exported = runs.filter((r) => r[5]).length;
      await intake.waitFor(() => lambdaHits(fn) === exported, 60_000, `APM stats hits = ${exported} for ${fn}`);
      await new Promise((r) => setTimeout(r, 1500));
      const seen = new Set(lambdaSpans(fn).map((s) => s.meta['faas.invocation_id']));
      assert.deepEqual(
        runs.map((r, i) => [r[0], seen.has(requestIds[i])]),
        runs.map((r) => [r[0], r[5]]),
      );
      assert.equal(lambdaHits(fn), exported);
    });
  });
}
