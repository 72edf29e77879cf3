// Interop with Datadog APM hosts: real dd-trace processes (their spans decoded by an agent
// double) and our services (through the real collector and the Datadog intake double).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, trace, TraceFlags } from '@opentelemetry/api';
import { startCollector } from '../harness/collector.mjs';
import { startDatadogAgent, ddTraceEnv, recordDdTraceHeaders } from '../harness/datadog-agent.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, startNode } from '../harness/processes.mjs';

const require = createRequire(import.meta.url);
const { DatadogPropagator } = require(path.join(repoRoot, 'dist', 'datadog', 'propagator.js'));
const { XRayDatadogIdGenerator } = require(path.join(repoRoot, 'dist', 'tracing', 'trace-ids.js'));

let agent;
let intake;
let collector;
const recorded = {}; // headers dd-trace itself sent, by scenario
before(async () => {
  agent = await startDatadogAgent();
  intake = await startDatadogIntake();
  collector = await startCollector({ intakeUrl: intake.url });
  // Record real dd-trace headers: one kept trace, one rejected by a sampling rule.
  for (const [name, extra] of [
    ['kept', {}],
    ['rejected', { DD_TRACE_SAMPLE_RATE: '0' }],
  ]) {
    const captured = await recordDdTraceHeaders({ agentUrl: agent.url, service: `recorder-${name}`, env: { DD_TRACE_PROPAGATION_STYLE: 'datadog', ...extra } });
    recorded[name] = Object.fromEntries(Object.entries(captured).filter(([k]) => k.startsWith('x-datadog-')));
  }
});
after(async () => {
  await collector?.stop();
  await intake?.close();
  await agent?.close();
});

const hex16 = (n) => BigInt(n).toString(16).padStart(16, '0');
const extract = (headers) => trace.getSpanContext(new DatadogPropagator().extract(ROOT_CONTEXT, headers, defaultTextMapGetter));

test('extract: headers recorded from a live dd-trace become the same 128-bit trace and parent', () => {
  const h = recorded.kept;
  assert.ok(h['x-datadog-trace-id'] && h['x-datadog-parent-id'], JSON.stringify(h));
  const tid = /_dd\.p\.tid=([0-9a-f]{16})/.exec(h['x-datadog-tags'])[1];
  const sc = extract(h);
  assert.equal(sc.traceId, tid + hex16(h['x-datadog-trace-id']));
  assert.equal(sc.spanId, hex16(h['x-datadog-parent-id']));
  assert.equal(sc.traceFlags, TraceFlags.SAMPLED);
  assert.equal(sc.isRemote, true);

  // Injecting that context again writes what dd-trace wrote.
  const out = {};
  new DatadogPropagator().inject(trace.setSpanContext(ROOT_CONTEXT, sc), out, defaultTextMapSetter);
  assert.equal(out['x-datadog-trace-id'], h['x-datadog-trace-id']);
  assert.equal(out['x-datadog-parent-id'], h['x-datadog-parent-id']);
  assert.equal(out['x-datadog-sampling-priority'], h['x-datadog-sampling-priority']);
  assert.equal(out['x-datadog-tags'], `_dd.p.tid=${tid}`);
});

test('extract: a trace rejected by dd-trace (priority <= 0) is not sampled here either, and stays rejected downstream', () => {
  const h = recorded.rejected;
  assert.ok(Number(h['x-datadog-sampling-priority']) <= 0, JSON.stringify(h));
  const sc = extract(h);
  assert.equal(sc.traceFlags, TraceFlags.NONE);
  const out = {};
  new DatadogPropagator().inject(trace.setSpanContext(ROOT_CONTEXT, sc), out, defaultTextMapSetter);
  assert.equal(out['x-datadog-sampling-priority'], h['x-datadog-sampling-priority'], 'the user/auto reject decision is passed on');
});

test('extract: malformed or missing dd-trace fields leave the context untouched or degrade safely', () => {
  const h = recorded.kept;
  const without = (key) => Object.fromEntries(Object.entries(h).filter(([k]) => k !== key));
  assert.equal(extract(without('x-datadog-parent-id')), undefined, 'no parent id: no remote parent');
  assert.equal(extract(without('x-datadog-trace-id')), undefined, 'no trace id: no remote parent');
  assert.equal(extract({ ...h, 'x-datadog-trace-id': 'abc' }), undefined);
  assert.equal(extract({ ...h, 'x-datadog-trace-id': '18446744073709551616' }), undefined, '2^64 is out of range');
  assert.equal(extract({ ...h, 'x-datadog-trace-id': '0' }), undefined);
  assert.equal(extract({ ...h, 'x-datadog-parent-id': '-5' }), undefined);
  // Missing or bad _dd.p.tid: a 64-bit trace, upper half zero.
  assert.equal(extract(without('x-datadog-tags')).traceId, '0000000000000000' + hex16(h['x-datadog-trace-id']));
  assert.equal(extract({ ...h, 'x-datadog-tags': '_dd.p.tid=XYZ' }).traceId.slice(0, 16), '0000000000000000');
  assert.equal(extract({ ...h, 'x-datadog-tags': 'x'.repeat(10_000) }).traceId.slice(0, 16), '0000000000000000');
  // Missing priority: the upstream left the decision to us; we keep the trace.
  assert.equal(extract(without('x-datadog-sampling-priority')).traceFlags, TraceFlags.SAMPLED);
  assert.equal(
    extract({ ...h, 'x-datadog-origin': 'bad;origin=' }).traceState?.serialize(),
    extract(without('x-datadog-origin')).traceState?.serialize(),
    'an origin that cannot travel in tracestate is dropped',
  );
});

test('ids we generate: 10k samples keep bit 63 of the lower half clear and carry the epoch second', () => {
  const gen = new XRayDatadogIdGenerator();
  const now = Math.floor(Date.now() / 1000);
  const ids = Array.from({ length: 10_000 }, () => gen.generateTraceId());
  for (const id of ids) {
    assert.match(id, /^[0-9a-f]{32}$/);
    assert.ok(BigInt(`0x${id.slice(16)}`) < 2n ** 63n, id);
    assert.ok(Math.abs(parseInt(id.slice(0, 8), 16) - now) <= 5, id);
  }
  assert.ok(new Set(ids).size === ids.length, 'unique');
  assert.ok(
    ids.some((id) => parseInt(id[16], 16) >= 4),
    'bit 62 still random',
  );
});

const viaCollector = (extra) => cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '50', DD_ENV: 'prod', ...extra });

for (const style of ['datadog', 'tracecontext']) {
  test(`dd-trace service -> our service (${style} headers only): one Datadog trace, correct parent`, async () => {
    const ours = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], { env: viaCollector({ DD_SERVICE: `ours-from-dd-${style}` }) });
    const dd = await startNode(['--require', 'dd-trace/init', path.join(fixtures, 'http-service.cjs')], {
      env: cleanEnv(
        ddTraceEnv(agent.url, { DD_SERVICE: `dd-to-ours-${style}`, DD_ENV: 'prod', DD_TRACE_PROPAGATION_STYLE: style, DOWNSTREAM_URL: `http://127.0.0.1:${ours.match[1]}/seen` }),
      ),
    });
    try {
      assert.equal((await fetch(`http://127.0.0.1:${dd.match[1]}/call`)).status, 200);
      const ddClient = await agent.waitFor((spans) => spans.find((s) => s.service === `dd-to-ours-${style}` && s.name === 'http.request'));
      const ddRoot = await agent.waitFor((spans) => spans.find((s) => s.service === `dd-to-ours-${style}` && s.name === 'web.request'));
      const ourServer = await intake.waitFor(() => intake.spans().find((s) => s.service === `ours-from-dd-${style}`), 30_000, 'our server span');
      assert.equal(ourServer.traceID, BigInt.asUintN(64, ddClient.trace_id), 'same Datadog trace id');
      assert.equal(ourServer.parentID, BigInt.asUintN(64, ddClient.span_id), "our span is a child of dd-trace's client span");
      assert.equal(ourServer.meta['otel.trace_id'], ddRoot.meta['_dd.p.tid'] + hex16(BigInt.asUintN(64, ddClient.trace_id)), 'same 128-bit trace id');
      assert.equal(ourServer.payloadEnv, 'prod');
    } finally {
      await dd.stop();
      await ours.stop();
    }
  });
}

for (const { name, propagators, ddStyle } of [
  { name: 'traceparent (default propagators)', propagators: undefined, ddStyle: undefined },
  { name: 'Datadog headers only', propagators: 'xray,datadog,baggage', ddStyle: 'datadog' },
]) {
  test(`our service -> dd-trace service via ${name}: one Datadog trace, correct parent`, async () => {
    const tag = ddStyle ?? 'default';
    const dd = await startNode(['--require', 'dd-trace/init', path.join(fixtures, 'http-service.cjs')], {
      env: cleanEnv(ddTraceEnv(agent.url, { DD_SERVICE: `dd-from-ours-${tag}`, DD_ENV: 'prod', ...(ddStyle ? { DD_TRACE_PROPAGATION_STYLE: ddStyle } : {}) })),
    });
    const ours = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
      env: viaCollector({ DD_SERVICE: `ours-to-dd-${tag}`, DOWNSTREAM_URL: `http://127.0.0.1:${dd.match[1]}/seen`, ...(propagators ? { OTEL_PROPAGATORS: propagators } : {}) }),
    });
    try {
      const { downstream } = await (await fetch(`http://127.0.0.1:${ours.match[1]}/call`)).json();
      if (ddStyle === 'datadog') assert.equal(downstream.seen.traceparent, null, 'only Datadog headers were sent');
      const ourClient = await intake.waitFor(() => intake.spans().find((s) => s.service === `ours-to-dd-${tag}` && s.meta['span.kind'] === 'client'), 30_000, 'our client span');
      const ddServer = await agent.waitFor((spans) => spans.find((s) => s.service === `dd-from-ours-${tag}` && s.name === 'web.request'));
      assert.equal(BigInt.asUintN(64, ddServer.trace_id), ourClient.traceID, 'same Datadog trace id');
      assert.equal(BigInt.asUintN(64, ddServer.parent_id), ourClient.spanID, "dd-trace's span is a child of our client span");
      assert.equal(ddServer.meta['_dd.p.tid'], ourClient.meta['otel.trace_id'].slice(0, 16), 'upper 64 bits carried over');
    } finally {
      await ours.stop();
      await dd.stop();
    }
  });
}
