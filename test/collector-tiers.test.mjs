// The collector tier at scale (docs/collector.md): 2 agents (agent.yaml, disk queue) ->
// HAProxy -> 3 gateways (gateway.yaml: TLS, bearer token, datadog exporter computing APM
// stats) -> the Datadog intake double, every part a real process on 127.0.0.1, fed by two
// traced processes running the real SDK. Faults: Datadog answering 503 then 429 for a
// minute, a gateway SIGKILLed, a gateway restarted gracefully, an agent restarted while
// spans flow. Each span carries its run and sequence number, so the intake tells exactly
// which acknowledged spans arrived, which twice, and which never; the counts the collectors
// and the fault front keep say where the missing ones went. Then X-Ray as a second
// destination, through a SigV4-checking double.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { agentConfig, collectorBinary, collectorEnv, gatewayConfig, gatewayXrayConfig, metricSum, validateConfig } from '../harness/collector.mjs';
import { makeTestPki } from '../harness/certs.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { startIntakeFaults } from '../harness/intake-faults.mjs';
import { runCounts, startGateway, startSpanLoad, startTiers } from '../harness/tiers.mjs';
import { startXrayEndpoint, TEST_AWS_CREDENTIALS } from '../harness/xray-endpoint.mjs';
import { waitUntil } from '../harness/wait.mjs';

// Span counts per traced process and phase: small, so the whole file stays within a few minutes.
const PER_PROCESS = 1000;
const RATE = 500; // spans/s per traced process
const OUTAGE_MS = 60_000; // 503 for the first half, 429 for the second

let intake;
let faults;
let pki;
let tiers;
let loads = [];
/** What each fault left behind, for the stats test at the end. */
const outcome = {};
const sdkEnv = (agent, service) => ({
  OTEL_EXPORTER_OTLP_ENDPOINT: agent.otlpUrl,
  OTEL_SERVICE_NAME: service,
  OTEL_BSP_SCHEDULE_DELAY: '100',
  OTEL_XRAY_DD_EXPORT_HELD_SPANS: '20000',
});

before(async () => {
  collectorBinary();
  intake = await startDatadogIntake();
  faults = await startIntakeFaults(intake.url);
  pki = makeTestPki();
  tiers = await startTiers({ pki, intakeUrl: faults.url, gateways: 3, agents: 2 });
  loads = [await startSpanLoad({ env: sdkEnv(tiers.agents[0], 'tiers-a') }), await startSpanLoad({ env: sdkEnv(tiers.agents[1], 'tiers-b') })];
});
after(async () => {
  for (const load of loads) await load.stop();
  await tiers?.dispose();
  await faults?.close();
  await intake?.close();
  pki?.remove();
});

const sendAll = (run, count = PER_PROCESS, rate = RATE) => Promise.all(loads.map((l) => l.send(run, count, rate)));
const counts = (run) => runCounts(intake.spans(), run);
const accepted = async (collector) => metricSum(await collector.metrics(), 'otelcol_receiver_accepted_spans');
/** Spans of `run` each gateway delivered to the intake (the AgentPayload's hostname is the gateway's). */
function deliveredBy(run) {
  const by = {};
  for (const p of intake.agentPayloads)
    for (const tp of p.tracerPayloads) for (const chunk of tp.chunks) for (const s of chunk.spans) if (s.meta['load.run'] === run) by[p.hostName] = (by[p.hostName] ?? 0) + 1;
  return by;
}
/** Every span an agent accepted has been acknowledged by a gateway (its disk queue is empty). */
async function agentsDrained(expected) {
  for (const [i, agent] of tiers.agents.entries()) {
    const m = await agent.metrics();
    const got = metricSum(m, 'otelcol_receiver_accepted_spans');
    const sent = metricSum(m, 'otelcol_exporter_sent_spans', { exporter: 'otlp_http/gateway' });
    const queued = metricSum(m, 'otelcol_exporter_queue_size', { exporter: 'otlp_http/gateway', data_type: 'traces' });
    if (got !== expected[i] || sent !== got || queued !== 0) return false;
  }
  return true;
}
const waitDrained = (expected) => {
  let ok = false;
  const poll = async () => {
    while (!ok) {
      ok = await agentsDrained(expected).catch(() => false);
      if (!ok) await new Promise((r) => setTimeout(r, 100));
    }
  };
  return Promise.race([poll(), waitUntil(() => ok, { timeoutMs: 60_000, what: `agents drained (${expected})` })]);
};
// What each agent process accepted since it started (agents restart only in the last fault).
const agentTotals = [0, 0];
const sentThrough = (n) => agentTotals.forEach((_, i) => (agentTotals[i] += n));

test("the shipped agent, gateway and gateway + X-Ray configs pass the collector's own validation", async () => {
  const agent = await validateConfig([agentConfig], collectorEnv({ OTELCOL_GATEWAY_ENDPOINT: 'https://gateway.internal:4318', OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile }));
  assert.equal(agent.code, 0, agent.output);
  const gwEnv = collectorEnv({ OTELCOL_TLS_CERT_FILE: pki.serverCert, OTELCOL_TLS_KEY_FILE: pki.serverKey, OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile });
  const gateway = await validateConfig([gatewayConfig], gwEnv);
  assert.equal(gateway.code, 0, gateway.output);
  const xray = await validateConfig([gatewayConfig, gatewayXrayConfig], { ...gwEnv, AWS_REGION: 'eu-west-1', ...TEST_AWS_CREDENTIALS });
  assert.equal(xray.code, 0, xray.output);
  // Without TLS material or a token, a gateway does not start.
  const bare = await validateConfig([gatewayConfig]);
  assert.notEqual(bare.code, 0);
  assert.match(bare.output, /TLS configuration must include both certificate and key/);
  assert.match(bare.output, /bearertokenauth\/senders: no bearer token provided/);
});

test(`Datadog answering 503, then 429, for ${OUTAGE_MS / 1000} s: every acknowledged span that is missing was in a payload a gateway logged as dropped`, async (t) => {
  faults.setFault(503);
  const flip = setTimeout(() => faults.setFault(429), OUTAGE_MS / 2);
  const started = Date.now();
  try {
    await sendAll('outage');
    sentThrough(PER_PROCESS);
    await waitDrained(agentTotals); // the agents have nothing left: the gateways acknowledged every span
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_MS - (Date.now() - started))));
  } finally {
    clearTimeout(flip);
    faults.setFault(null);
  }
  // The datadog exporter acknowledges spans once its in-process trace agent has them; the
  // trace agent sends each payload 4 times (backoff under 1.5 s in all) and then drops it.
  const droppedTraces = faults.droppedTracePayloads();
  const droppedStats = faults.droppedStatsPayloads();
  const lostKeys = new Set(droppedTraces.flatMap((p) => p.spans.filter((s) => s.meta['load.run'] === 'outage').map((s) => `${s.service}:${s.metrics['load.seq']}`)));
  const total = loads.length * PER_PROCESS;
  const c = await intake.waitFor(
    () => {
      const now = counts('outage');
      return now.unique + lostKeys.size >= total ? now : undefined;
    },
    30_000,
    'every outage span delivered or in a dropped payload',
  );
  const missing = [...Array(loads.length).keys()].flatMap((i) => [...Array(PER_PROCESS).keys()].map((seq) => `tiers-${'ab'[i]}:${seq}`)).filter((k) => !c.keys.has(k));
  assert.deepEqual(missing.sort(), [...lostKeys].sort(), 'missing spans = spans in payloads dropped after their retries');
  assert.equal(c.unique + missing.length, total);
  for (const p of [...droppedTraces, ...droppedStats]) assert.equal(p.attempts, 4, 'each dropped payload was sent 4 times');
  const dropLines = tiers.gateways
    .map(
      (g) =>
        g
          .log(true)
          .split('\n')
          .filter((l) => l.includes('Dropping Payload after 4 retries')).length,
    )
    .reduce((a, b) => a + b, 0);
  assert.equal(dropLines, droppedTraces.length + droppedStats.length, 'the gateways logged each dropped payload once');
  const statsLost = droppedStats
    .flatMap((p) => p.groups)
    .filter((g) => g.Resource === 'GET /load/outage')
    .reduce((n, g) => n + Number(g.Hits), 0);
  t.diagnostic(
    `outage: ${missing.length} of ${total} acknowledged spans lost (${droppedTraces.length} trace payloads dropped), ${c.duplicates} duplicated; ` +
      `APM stats: ${droppedStats.length} payloads dropped holding ${statsLost} hits of this run; refused calls: ${faults.refusedAttempts('/api/v0.2/traces')} traces, ${faults.refusedAttempts('/api/v0.2/stats')} stats`,
  );
  outcome.outage = { lost: missing.length, statsLost, duplicates: c.duplicates };
});

/** Pauses the spans, lets the agents drain, then stops one gateway with `signal`; returns what it held. */
async function stopBusiestGateway(run, signal) {
  const before = await Promise.all(tiers.gateways.map(accepted));
  await sendAll(run);
  sentThrough(PER_PROCESS);
  await waitDrained(agentTotals);
  const acceptedNow = await Promise.all(tiers.gateways.map(accepted));
  const took = acceptedNow.map((n, i) => n - before[i]);
  assert.equal(
    took.reduce((a, b) => a + b, 0),
    loads.length * PER_PROCESS,
    'each span acknowledged by exactly one gateway',
  );
  const delivered = deliveredBy(run);
  const held = tiers.gateways.map((g, i) => took[i] - (delivered[g.name] ?? 0));
  const victim = held.indexOf(Math.max(...held));
  const gateway = tiers.gateways[victim];
  await gateway.stop(signal);
  // Anything it still sent before it died has arrived (the intake answers after reading it all).
  await new Promise((r) => setTimeout(r, 200));
  const lost = took[victim] - (deliveredBy(run)[gateway.name] ?? 0);
  return { gateway, took: took[victim], lost };
}

test('a gateway SIGKILLed and restarted: it loses exactly the spans it had acknowledged and not yet flushed', async (t) => {
  const { gateway, took, lost } = await stopBusiestGateway('kill', 'SIGKILL');
  await gateway.restart();
  await sendAll('after-kill');
  sentThrough(PER_PROCESS);
  const total = loads.length * PER_PROCESS;
  await intake.waitFor(() => counts('after-kill').unique === total, 30_000, 'after-kill spans');
  await waitDrained(agentTotals);
  const c = await intake.waitFor(
    () => {
      const now = counts('kill');
      return now.unique === total - lost ? now : undefined;
    },
    15_000,
    `kill spans: all but the ${lost} the killed gateway held`,
  );
  assert.equal(c.duplicates, 0);
  assert.equal(counts('after-kill').duplicates, 0);
  t.diagnostic(
    `SIGKILL: ${gateway.name} had acknowledged ${took} spans of ${total}; ${lost} lost (held in its trace agent, flushed every 5 s), 0 duplicated; the ${total} spans sent after its restart all arrived`,
  );
  outcome.kill = { took, lost };
});

test('a gateway restarted gracefully (SIGTERM) loses what its trace agent held too: the exporter does not wait for it to flush', async (t) => {
  const { gateway, took, lost } = await stopBusiestGateway('term', 'SIGTERM');
  await gateway.restart();
  const total = loads.length * PER_PROCESS;
  const c = await intake.waitFor(
    () => {
      const now = counts('term');
      return now.unique === total - lost ? now : undefined;
    },
    15_000,
    `term spans: all but the ${lost} the stopped gateway held`,
  );
  assert.equal(c.duplicates, 0);
  t.diagnostic(`SIGTERM: ${gateway.name} had acknowledged ${took} spans of ${total}; ${lost} lost at its graceful shutdown, 0 duplicated`);
  outcome.term = { took, lost };
});

test('a gateway drained at the balancer first, then stopped (SIGTERM) while spans flow: nothing lost', async (t) => {
  const count = 2 * PER_PROCESS;
  const before = await Promise.all(tiers.gateways.map(accepted));
  const sending = sendAll('drain', count);
  await new Promise((r) => setTimeout(r, (count / RATE) * 400)); // 40% into the run
  const took = (await Promise.all(tiers.gateways.map(accepted))).map((n, i) => n - before[i]);
  const victim = took.indexOf(Math.max(...took));
  const gateway = tiers.gateways[victim];
  await tiers.haproxy.drain(`gw${victim + 1}`);
  // It receives nothing more; once its trace agent has flushed what it acknowledged, stop it.
  let settled;
  const deadline = Date.now() + 30_000;
  for (;;) {
    const acceptedNow = (await accepted(gateway)) - before[victim];
    if ((deliveredBy('drain')[gateway.name] ?? 0) === acceptedNow) {
      settled = acceptedNow;
      break;
    }
    if (Date.now() > deadline)
      throw new Error(`drained ${gateway.name} still holds spans after 30 s (${acceptedNow} acknowledged, ${deliveredBy('drain')[gateway.name] ?? 0} delivered)`);
    await new Promise((r) => setTimeout(r, 200));
  }
  await gateway.stop('SIGTERM');
  await gateway.restart();
  await tiers.haproxy.undrain(`gw${victim + 1}`);
  await sending;
  const total = loads.length * count;
  const c = await intake.waitFor(
    () => {
      const now = counts('drain');
      return now.unique === total ? now : undefined;
    },
    60_000,
    `all ${total} drain spans`,
  );
  t.diagnostic(`drain: ${gateway.name} took ${settled} spans before it was drained; 0 of ${total} lost, ${c.duplicates} duplicated`);
  outcome.drain = { copies: c.copies, duplicates: c.duplicates };
});

test('an agent restarted while spans flow: nothing lost (the SDK holds, the disk queue keeps), duplicates counted', async (t) => {
  const count = 2 * PER_PROCESS;
  const sending = sendAll('restart', count);
  await new Promise((r) => setTimeout(r, (count / RATE) * 400)); // 40% into the run
  await tiers.agents[0].restart();
  await sending;
  const total = loads.length * count;
  const c = await intake.waitFor(
    () => {
      const now = counts('restart');
      return now.unique === total ? now : undefined;
    },
    60_000,
    `all ${total} restart spans`,
  );
  // The SDK saw the agent go and come back, held the spans meanwhile, and lost none.
  const sdkLog = loads[0].stderr();
  assert.match(sdkLog, /span export to \S+ recovered after \d+ s; \d+ held span\(s\) are being sent, 0 span\(s\) were lost/);
  t.diagnostic(`agent restart: 0 of ${total} lost, ${c.duplicates} duplicated; SDK: ${sdkLog.match(/recovered after[^\n]*/)?.[0]}`);
  outcome.restart = { duplicates: c.duplicates, copies: c.copies };
});

test('APM stats: hits per service and resource at the intake equal the span copies, each counted once across gateways', async (t) => {
  await sendAll('steady');
  const total = loads.length * PER_PROCESS;
  await intake.waitFor(() => counts('steady').unique === total, 30_000, 'steady spans');
  // Stats leave a gateway 20-30 s after their 10 s bucket closes; a gateway stopped before
  // that takes them along (like the traces above; at SIGTERM its last stats race the process
  // exit). Exact counts for the runs whose gateways all stayed up; the others are reported.
  const hits = (resource, service) =>
    intake
      .stats()
      .filter((g) => g.Resource === resource && (service === undefined || g.Service === service))
      .reduce((n, g) => n + Number(g.Hits), 0);
  const expected = { 'GET /load/restart': outcome.restart.copies, 'GET /load/steady': counts('steady').copies };
  const actual = () => JSON.stringify(Object.fromEntries(Object.keys(expected).map((r) => [r, hits(r)])));
  await waitUntil(() => Object.entries(expected).every(([r, n]) => hits(r) === n), {
    timeoutMs: 60_000,
    what: `stats hits ${JSON.stringify(expected)}`,
    seen: () => `hits so far ${actual()}`,
  });
  for (const [resource, n] of Object.entries(expected)) assert.equal(hits(resource), n, resource);
  for (const service of ['tiers-a', 'tiers-b']) {
    assert.equal(hits('GET /load/steady', service), PER_PROCESS, `steady hits of ${service}`);
    const copies = intake.spans().filter((x) => x.service === service && x.meta['load.run'] === 'restart').length;
    assert.equal(hits('GET /load/restart', service), copies, `restart hits of ${service}`);
  }
  // The outage run: every hit is at the intake or in a stats payload dropped during the outage.
  assert.equal(hits('GET /load/outage') + outcome.outage.statsLost, total);
  const report = Object.fromEntries(
    ['outage', 'kill', 'after-kill', 'term', 'drain', 'restart', 'steady'].map((run) => [run, `${hits(`GET /load/${run}`)} hits / ${counts(run).copies} spans`]),
  );
  t.diagnostic(`stats: ${JSON.stringify(report)}`);
});

test('the traced processes end without losing a span they were asked to send', async () => {
  for (const load of loads) {
    const exit = await load.stop();
    assert.equal(exit.signal, 'SIGTERM');
    assert.doesNotMatch(exit.stderr, /could not be sent/);
  }
  loads = [];
});

test('X-Ray as a second destination: the same spans, X-Ray trace ids unchanged, SigV4-signed (checked by botocore)', async (t) => {
  const xray = await startXrayEndpoint({ region: 'eu-west-1' });
  const gateway = await startGateway({
    name: 'gateway-xray',
    pki,
    intakeUrl: intake.url,
    xray: { region: xray.region, tracesUrl: xray.tracesUrl, credentials: TEST_AWS_CREDENTIALS },
  });
  const load = await startSpanLoad({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: gateway.otlpUrl,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${pki.token}`,
      OTEL_EXPORTER_OTLP_CERTIFICATE: pki.caFile,
      OTEL_SERVICE_NAME: 'tiers-xray',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  try {
    const { ids } = await load.send('xray', 50, 500, true);
    const spans = await xray.waitFor((s) => s.filter((x) => x.attributes['load.run'] === 'xray').length === 50, 30_000);
    await intake.waitFor(() => counts('xray').unique === 50, 30_000, 'xray spans at Datadog');
    assert.equal(xray.refused.length, 0, xray.refused.map((r) => r.reason).join('; '));
    const got = new Map(spans.map((s) => [s.spanId, s]));
    const nowSec = Date.now() / 1000;
    for (const [seq, traceId, spanId] of ids) {
      const s = got.get(spanId);
      assert.ok(s, `span ${seq} at X-Ray`);
      assert.equal(s.traceId, traceId);
      // An X-Ray trace id: the first 8 hex digits are the epoch second it began.
      assert.ok(Math.abs(parseInt(traceId.slice(0, 8), 16) - nowSec) < 600, `X-Ray-format trace id ${traceId}`);
      assert.equal(s.name, 'GET /load/xray');
      assert.equal(s.kind, 2);
      assert.equal(s.attributes['load.seq'], seq);
      assert.equal(s.resource['service.name'], 'tiers-xray');
    }
    // Datadog received the same spans, joined by the same trace ids.
    const dd = intake.spans().filter((s) => s.meta['load.run'] === 'xray');
    assert.deepEqual(new Set(dd.map((s) => s.meta['otel.trace_id'])), new Set(ids.map(([, traceId]) => traceId)));
    const signed = xray.accepted[0].headers.authorization;
    assert.match(signed, /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/xray\/aws4_request, SignedHeaders=[^,]*host[^,]*x-amz-date/);
    assert.equal(xray.accepted[0].headers['content-encoding'], 'gzip');
    // The double refuses a request whose body changed after signing.
    const { headers, body, path: p } = xray.accepted[0];
    const tampered = Buffer.from(body);
    tampered[tampered.length - 1] ^= 1;
    const res = await fetch(`${xray.url}${p}`, {
      method: 'POST',
      headers: Object.fromEntries(Object.entries(headers).filter(([k]) => !['content-length', 'connection', 'host', 'transfer-encoding'].includes(k))),
      body: tampered,
    });
    assert.equal(res.status, 403);
    assert.equal(xray.refused.length, 1);
    t.diagnostic(`X-Ray: ${xray.accepted.length} signed request(s) carried the 50 spans; Datadog got the same 50`);
  } finally {
    await load.stop();
    await gateway.dispose();
    await xray.close();
  }
});
