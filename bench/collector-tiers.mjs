// Sustained load through the collector tiers of docs/collector.md, every part a real process on
// 127.0.0.1: N traced processes (the real SDK) -> 2 agents (agent.yaml, disk queue) -> HAProxy
// -> 3 gateways (gateway.yaml, TLS + token, datadog exporter) -> a counting Datadog intake.
// Reports, per tier, the spans/s it took in, its peak and final RSS and its CPU seconds; and
// end to end: spans made, dropped by the SDK (its own count), delivered once, twice, or never.
//
//   node bench/collector-tiers.mjs [--rate 10000] [--seconds 60] [--processes 2]
//                                  [--fault none|gateway-kill|agent-restart]
//
// The figure is --rate 10000 --seconds 60 (the default). OTEL_BSP_* and
// OTEL_XRAY_DD_EXPORT_HELD_SPANS in the environment are passed to the traced processes.
// Writes bench/results/collector-tiers-<fault>.json. Do not run it next to other work on a small
// machine: with 2 cores the figures say what the machine, not the collector, can do.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { collectorBinary, metricSum } from '../harness/collector.mjs';
import { makeTestPki } from '../harness/certs.mjs';
import { startSpanLoad, startTiers } from '../harness/tiers.mjs';
import { rssBytes } from '../harness/processes.mjs';

const args = Object.fromEntries(process.argv.slice(2).reduce((pairs, arg, i, all) => (arg.startsWith('--') ? [...pairs, [arg.slice(2), all[i + 1]]] : pairs), []));
const RATE = Number(args.rate ?? 10_000);
const SECONDS = Number(args.seconds ?? 60);
const PROCESSES = Number(args.processes ?? 2);
const FAULT = args.fault ?? 'none';
const PER_PROCESS = RATE * SECONDS;
const here = path.dirname(fileURLToPath(import.meta.url));

// --- a counting intake: per service, how many copies of each load.seq arrived ---------------
// (The test double decodes everything into objects; at 20k spans/s that costs more CPU and
// memory than the tiers under test, so this one walks the protobuf for two fields only.)
function varint(buf, pos) {
  let value = 0;
  let mul = 1;
  for (;;) {
    const b = buf[pos++];
    value += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [value, pos];
    mul *= 128;
  }
}
function* walk(buf, start = 0, end = buf.length) {
  let pos = start;
  while (pos < end) {
    let key;
    [key, pos] = varint(buf, pos);
    const field = Math.floor(key / 8);
    const wire = key & 7;
    if (wire === 0) {
      [, pos] = varint(buf, pos);
      yield [field, wire, 0, 0];
    } else if (wire === 1) {
      yield [field, wire, pos, pos + 8];
      pos += 8;
    } else if (wire === 2) {
      let len;
      [len, pos] = varint(buf, pos);
      yield [field, wire, pos, pos + len];
      pos += len;
    } else if (wire === 5) {
      pos += 4;
    } else throw new Error(`wire type ${wire}`);
  }
}
const sub = (buf, s, e, field) => [...walk(buf, s, e)].filter(([f, w]) => f === field && w === 2);

function startCountingIntake() {
  const copies = new Map(); // service -> Uint16Array(count per seq)
  const stats = { hits: 0, payloads: 0 };
  let spans = 0;
  let lastArrival = Date.now();
  const count = (service, seq) => {
    let arr = copies.get(service);
    if (!arr) copies.set(service, (arr = new Uint16Array(PER_PROCESS)));
    if (seq >= 0 && seq < arr.length) arr[seq]++;
  };
  const onTraces = (buf) => {
    // AgentPayload.tracerPayloads(5) -> chunks(6) -> spans(3): service(1), metrics(11: key 1, value 2)
    for (const [, , ts, te] of sub(buf, 0, buf.length, 5))
      for (const [, , cs, ce] of sub(buf, ts, te, 6))
        for (const [, , ss, se] of sub(buf, cs, ce, 3)) {
          let service = '';
          let seq = -1;
          for (const [f, w, s, e] of walk(buf, ss, se)) {
            if (f === 1 && w === 2) service = buf.toString('utf8', s, e);
            else if (f === 11 && w === 2) {
              let k = '';
              let v = NaN;
              for (const [mf, mw, ms, me] of walk(buf, s, e)) {
                if (mf === 1 && mw === 2) k = buf.toString('utf8', ms, me);
                else if (mf === 2 && mw === 1) v = buf.readDoubleLE(ms);
              }
              if (k === 'load.seq') seq = v;
            }
          }
          spans++;
          count(service, seq);
        }
  };
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const p = req.url.split('?')[0];
      try {
        let body = Buffer.concat(chunks);
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        if (p === '/api/v0.2/traces') {
          onTraces(body);
          lastArrival = Date.now();
        } else if (p === '/api/v0.2/stats') {
          const payload = decodeMsgpack(body, { useBigInt64: true });
          stats.payloads++;
          for (const client of payload.Stats ?? []) for (const bucket of client.Stats ?? []) for (const g of bucket.Stats ?? []) stats.hits += Number(g.Hits);
        }
      } catch (error) {
        console.error(`intake: ${p}: ${error}`);
      }
      res.writeHead(p === '/api/v1/validate' ? 200 : 202, { 'content-type': 'application/json' });
      res.end(p === '/api/v1/validate' ? '{"valid":true}' : '{}');
    });
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${server.address().port}`,
        spans: () => spans,
        lastArrival: () => lastArrival,
        stats,
        summary(service, sent) {
          const arr = copies.get(service) ?? new Uint16Array(PER_PROCESS);
          let unique = 0;
          let duplicates = 0;
          for (let i = 0; i < sent; i++) if (arr[i] > 0) (unique++, (duplicates += arr[i] - 1));
          return { unique, duplicates, missing: sent - unique };
        },
        close: () =>
          new Promise((r) => {
            server.closeAllConnections?.();
            server.close(r);
          }),
      }),
    ),
  );
}

// --- process figures -----------------------------------------------------------------------
const CLK_TCK = 100;
function cpuSeconds(pid) {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK; // utime + stime
}

collectorBinary();
const pki = makeTestPki();
const intake = await startCountingIntake();
const tiers = await startTiers({ pki, intakeUrl: intake.url, gateways: 3, agents: 2 });
const passEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => /^OTEL_BSP_|^OTEL_XRAY_DD_EXPORT_HELD_SPANS$/.test(k)));
const loads = [];
for (let i = 0; i < PROCESSES; i++) {
  const agent = tiers.agents[i % tiers.agents.length];
  loads.push(await startSpanLoad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: agent.otlpUrl, OTEL_SERVICE_NAME: `bench-${i + 1}`, ...passEnv } }));
}

const parts = () => [
  ...loads.map((l, i) => ({ tier: 'SDK process', name: `bench-${i + 1}`, pid: l.pid })),
  ...tiers.agents.map((a) => ({ tier: 'agent', name: a.name, pid: a.pid, collector: a })),
  { tier: 'HAProxy', name: 'haproxy', pid: tiers.haproxy.pid },
  ...tiers.gateways.map((g) => ({ tier: 'gateway', name: g.name, pid: g.pid, collector: g })),
];
const peak = new Map();
const cpuStart = new Map(parts().map((p) => [p.name, cpuSeconds(p.pid)]));
const sample = () => {
  for (const p of parts()) {
    try {
      peak.set(p.name, Math.max(peak.get(p.name) ?? 0, rssBytes(p.pid)));
    } catch {
      // restarted or gone this instant
    }
  }
};
const accepted = async (c) => metricSum(await c.metrics(), 'otelcol_receiver_accepted_spans');
const acceptedAtStart = new Map(
  await Promise.all(
    parts()
      .filter((p) => p.collector)
      .map(async (p) => [p.name, await accepted(p.collector)]),
  ),
);

console.error(`collector-tiers: ${PROCESSES} process(es) x ${RATE} spans/s x ${SECONDS} s, fault: ${FAULT}`);
const sampler = setInterval(sample, 1000);
const started = Date.now();
const faultTimer = setTimeout(
  async () => {
    if (FAULT === 'gateway-kill') {
      const counts = await Promise.all(tiers.gateways.map(accepted));
      const victim = tiers.gateways[counts.indexOf(Math.max(...counts))];
      console.error(`collector-tiers: SIGKILL ${victim.name} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await victim.stop('SIGKILL');
      await victim.restart();
    } else if (FAULT === 'agent-restart') {
      console.error(`collector-tiers: restarting ${tiers.agents[0].name} at ${((Date.now() - started) / 1000).toFixed(1)} s`);
      await tiers.agents[0].restart();
    }
  },
  (SECONDS * 1000) / 2,
);
const results = await Promise.all(loads.map((l, i) => l.send(`bench`, PER_PROCESS, RATE).then((r) => ({ ...r, name: `bench-${i + 1}` }))));
const loadSeconds = (Date.now() - started) / 1000;
clearTimeout(faultTimer);
sample();
// Throughput per tier over the load window (what each tier had accepted when the load ended).
const acceptedAtEnd = new Map(
  await Promise.all(
    parts()
      .filter((p) => p.collector)
      .map(async (p) => [p.name, await accepted(p.collector)]),
  ),
);
const intakeAtEnd = intake.spans();

// Drain: every traced process flushes and ends; then wait until the intake has been quiet for 8 s.
const sdkExits = [];
for (const l of loads) sdkExits.push(await l.stop());
const drainStarted = Date.now();
while (Date.now() - intake.lastArrival() < 8000 && Date.now() - drainStarted < 120_000) {
  sample();
  await new Promise((r) => setTimeout(r, 500));
}
clearInterval(sampler);
const drainSeconds = (Date.now() - drainStarted) / 1000;

// A restarted collector's counters start again at 0: its spans/s in is then a lower bound.
const rows = parts()
  .filter((p) => p.tier !== 'SDK process')
  .map((p) => {
    let rssNow = 0;
    let cpu = 0;
    try {
      rssNow = rssBytes(p.pid);
      cpu = cpuSeconds(p.pid) - (cpuStart.get(p.name) ?? 0);
    } catch {
      // gone
    }
    const took = p.collector ? (acceptedAtEnd.get(p.name) ?? 0) - (p.collector && acceptedAtStart.has(p.name) ? acceptedAtStart.get(p.name) : 0) : undefined;
    return {
      tier: p.tier,
      name: p.name,
      spansPerSecIn: took === undefined ? null : Math.round(Math.max(0, took) / loadSeconds),
      peakRssMB: +((peak.get(p.name) ?? 0) / 2 ** 20).toFixed(1),
      endRssMB: +(rssNow / 2 ** 20).toFixed(1),
      cpuSeconds: +cpu.toFixed(1),
    };
  });
const sdkRows = results.map((r, i) => {
  const stderr = sdkExits[i].stderr;
  const bspDropped = [...stderr.matchAll(/Dropped (\d+) spans because maxQueueSize reached/g)].reduce((n, m) => n + Number(m[1]), 0);
  const gateLost = [...stderr.matchAll(/(\d+) span\(s\) could not be sent/g)].reduce((n, m) => n + Number(m[1]), 0);
  const heldLost = [...stderr.matchAll(/(\d+) span\(s\) were lost while it failed/g)].reduce((n, m) => n + Number(m[1]), 0);
  const got = intake.summary(r.name, PER_PROCESS);
  return {
    name: r.name,
    made: PER_PROCESS,
    makeSeconds: +(r.ms / 1000).toFixed(1),
    peakRssMB: +((peak.get(r.name) ?? 0) / 2 ** 20).toFixed(1),
    sdkDroppedQueueFull: bspDropped,
    sdkDroppedHeldBound: heldLost,
    sdkUnsentAtExit: gateLost,
    ...got,
  };
});
const totals = sdkRows.reduce(
  (t, r) => ({
    made: t.made + r.made,
    unique: t.unique + r.unique,
    duplicates: t.duplicates + r.duplicates,
    missing: t.missing + r.missing,
    sdkDropped: t.sdkDropped + r.sdkDroppedQueueFull + r.sdkDroppedHeldBound + r.sdkUnsentAtExit,
  }),
  { made: 0, unique: 0, duplicates: 0, missing: 0, sdkDropped: 0 },
);

const report = {
  date: new Date().toISOString(),
  machine: `${(await import('node:os')).cpus().length} cpu, ${((await import('node:os')).totalmem() / 2 ** 30).toFixed(1)} GiB`,
  rate: RATE,
  seconds: SECONDS,
  processes: PROCESSES,
  fault: FAULT,
  sdkEnv: passEnv,
  loadSeconds: +loadSeconds.toFixed(1),
  intakeSpansPerSecDuringLoad: Math.round(intakeAtEnd / loadSeconds),
  drainSeconds: +drainSeconds.toFixed(1),
  // APM stats leave a gateway 20-30 s after their bucket: this is what had arrived by the end.
  statsHitsArrived: intake.stats.hits,
  sdk: sdkRows,
  tiers: rows,
  totals,
};
console.log('| SDK process | made | make s | peak RSS MB | dropped: queue full | dropped: held bound | unsent at exit | delivered once | duplicates | missing |');
console.log('|---|---|---|---|---|---|---|---|---|---|');
for (const r of sdkRows)
  console.log(
    `| ${r.name} | ${r.made} | ${r.makeSeconds} | ${r.peakRssMB} | ${r.sdkDroppedQueueFull} | ${r.sdkDroppedHeldBound} | ${r.sdkUnsentAtExit} | ${r.unique} | ${r.duplicates} | ${r.missing} |`,
  );
console.log('\n| tier | process | spans/s in | peak RSS MB | end RSS MB | CPU s |');
console.log('|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.tier} | ${r.name} | ${r.spansPerSecIn ?? '-'} | ${r.peakRssMB} | ${r.endRssMB} | ${r.cpuSeconds} |`);
console.log(
  `\nintake: ${report.intakeSpansPerSecDuringLoad} spans/s during the load, drained ${report.drainSeconds} s after it; APM stats hits arrived ${report.statsHitsArrived} (they trail by 20-30 s); ` +
    `made ${totals.made}, delivered once ${totals.unique}, duplicates ${totals.duplicates}, missing ${totals.missing}, SDK-reported drops ${totals.sdkDropped}`,
);
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', `collector-tiers-${FAULT}.json`), `${JSON.stringify(report, null, 2)}\n`);

await tiers.dispose();
await intake.close();
pki.remove();
