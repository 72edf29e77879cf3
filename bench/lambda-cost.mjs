// npm run bench:lambda: what tracing costs a Lambda function, side by side in one run, under AWS's
// runtime client (aws-lambda-ric 3.x on Node 22 = nodejs22.x, 4.x on Node 24 = nodejs24.x) on our
// Runtime API server: untraced, this layer (its exec wrapper), Datadog's Lambda library
// (datadog-lambda-js 12 + dd-trace 6, handler redirection, no extension: traces to an agent
// double) and the OpenTelemetry auto-instrumentations register; for a bare handler, one that
// creates an AWS SDK client at init, and an ES module handler. A fresh process per sample, the
// configurations interleaved. Per sample: init (process start to the runtime's first poll for an
// event), the first invocation, and warm invocations. Prints a table; writes
// bench/results/lambda-cost.json. No pass/fail: the targets are reported.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { fileURLToPath } from 'node:url';
import { repoRoot, startNode } from '../harness/processes.mjs';
import { prepareRuntime, startSandbox } from '../harness/lambda-sandbox.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 5);
const WARM = Number(process.env.BENCH_WARM ?? 30);
// For a quicker look at one part (the README's table needs the whole run): comma-separated
// Node majors (22,24), handler variants (bare,sdk,esm) and configuration names' first words.
const only = (name) => process.env[name]?.split(',').map((x) => x.trim());
const RUNTIMES = only('BENCH_NODE');
const VARIANTS = only('BENCH_HANDLERS');
const CONFIG_WORDS = only('BENCH_CONFIGS');
const pct = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
};
const median = (xs) => pct(xs, 50);
const round = (x) => Math.round(x * 10) / 10;

execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-layer.mjs')], { stdio: 'ignore' });
const opt = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-lambda-opt-'));
execFileSync('unzip', ['-q', path.join(repo, 'build', 'otel-xray-datadog-layer.zip'), '-d', opt]);
// Both tracers' spans go to one sink in its own process, as they go to the extension or a
// collector in Lambda: a receiver in this process would delay the Runtime API server beside it.
const sink = await startNode([path.join(repoRoot, 'harness', 'answering-sink.cjs')]);
const sinkUrl = `http://127.0.0.1:${sink.match[1]}`;

/** A task root per handler variant; node_modules holds Datadog's library with dd-trace 6 under its name. */
function taskRoot(variant) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `bench-fn-${variant}-`));
  fs.cpSync(path.join(here, 'fixtures', variant === 'bare' ? 'fn' : `fn-${variant}`), dir, { recursive: true });
  fs.mkdirSync(path.join(dir, 'node_modules', '@aws-sdk'), { recursive: true });
  const link = (name, target) => fs.symlinkSync(path.join(repo, 'node_modules', target), path.join(dir, 'node_modules', name));
  link('datadog-lambda-js', 'datadog-lambda-js');
  link('dd-trace', 'dd-trace-6');
  for (const dep of fs.readdirSync(path.join(repo, 'node_modules'))) if (!['datadog-lambda-js', 'dd-trace', '@aws-sdk', '.bin'].includes(dep)) link(dep, dep);
  for (const dep of fs.readdirSync(path.join(repo, 'node_modules', '@aws-sdk')))
    fs.symlinkSync(path.join(repo, 'node_modules', '@aws-sdk', dep), path.join(dir, 'node_modules', '@aws-sdk', dep));
  return dir;
}

// The floor: the least an OpenTelemetry tracer must do (bench/fixtures/floor-tracer.cjs), bundled
// like the layer and started by an exec wrapper like the layer's.
const floorDir = path.join(opt, 'floor');
await esbuild.build({
  entryPoints: [path.join(here, 'fixtures', 'floor-tracer.cjs')],
  outfile: path.join(floorDir, 'floor-tracer.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  logLevel: 'warning',
});
fs.writeFileSync(path.join(floorDir, 'wrapper'), `#!/bin/bash\nexport NODE_OPTIONS="\${NODE_OPTIONS:+\$NODE_OPTIONS }--require ${floorDir}/floor-tracer.js"\nexec "$@"\n`, {
  mode: 0o755,
});

const CONFIGS = {
  untraced: () => ({}),
  'this layer': () => ({ execWrapper: path.join(opt, 'otel-xray-datadog-handler'), env: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl } }),
  'Datadog (datadog-lambda-js 12 + dd-trace 6)': (handler) => ({
    handler: 'node_modules/datadog-lambda-js/dist/handler.handler',
    env: {
      DD_LAMBDA_HANDLER: handler,
      DD_TRACE_AGENT_URL: sinkUrl,
      DD_TRACE_ENABLED: 'true',
      DD_MERGE_XRAY_TRACES: 'false',
      DD_FLUSH_TO_LOG: 'false',
      DD_SERVERLESS_LOGS_ENABLED: 'false',
      DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
      DD_REMOTE_CONFIGURATION_ENABLED: 'false',
      DD_API_KEY: '0123456789abcdef0123456789abcdef',
    },
  }),
  // CommonJS handlers only.
  'floor (the least a tracer does, reference)': (handler, variant) =>
    variant === 'esm' ? null : { execWrapper: path.join(floorDir, 'wrapper'), env: { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl } },
  'OTel auto-instrumentations register': () => ({
    env: {
      NODE_OPTIONS: `--require ${path.join(repo, 'node_modules', '@opentelemetry', 'auto-instrumentations-node', 'build', 'src', 'register.js')}`,
      OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl,
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_METRICS_EXPORTER: 'none',
      OTEL_LOGS_EXPORTER: 'none',
      OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process',
    },
  }),
};

async function sample(nodeMajor, ricMajor, root, handler, config) {
  const { execWrapper, env = {}, handler: redirected } = config;
  // A new sandbox's /tmp is empty: no compile cache carried over from the previous sample.
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-sandbox-tmp-'));
  const t0 = Date.now();
  const sb = await startSandbox({
    nodeMajor,
    ricMajor,
    taskRoot: root,
    handler: redirected ?? handler,
    execWrapper,
    env: { AWS_LAMBDA_FUNCTION_NAME: 'bench-fn', TMPDIR: tmp, ...env },
  });
  try {
    await sb.runtime.waitForPollers(1, 30_000);
    const initDone = sb.runtime.requests.find((r) => r.method === 'GET' && r.path.endsWith('/invocation/next')).at;
    const traceId = 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1';
    const first = await sb.invoke({ event: {}, traceId });
    if (!first.ok) throw new Error(`${handler}: ${JSON.stringify(first)}\n${sb.output().stderr}`);
    const warm = [];
    for (let i = 0; i < WARM; i++) {
      const r = await sb.invoke({ event: {}, traceId });
      warm.push(r.respondedAt - r.deliveredAt);
    }
    // Cold: init plus the first invocation, without the wait between them (this script's poll for the runtime's first /next).
    return { init: initDone - t0, first: first.respondedAt - first.deliveredAt, cold: initDone - t0 + (first.respondedAt - first.deliveredAt), warm };
  } finally {
    await sb.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

const configs = Object.entries(CONFIGS).filter(([name]) => name === 'untraced' || !CONFIG_WORDS || CONFIG_WORDS.some((word) => name.startsWith(word)));
const rows = [];
for (const [nodeMajor, ricMajor] of [
  [22, 3],
  [24, 4],
].filter(([nodeMajor]) => !RUNTIMES || RUNTIMES.includes(String(nodeMajor)))) {
  prepareRuntime(nodeMajor, ricMajor);
  for (const variant of ['bare', 'sdk', 'esm'].filter((v) => !VARIANTS || VARIANTS.includes(v))) {
    const root = taskRoot(variant);
    const samples = Object.fromEntries(configs.map(([name]) => [name, []]));
    for (let s = 0; s < SAMPLES; s++)
      for (const [name, make] of configs) {
        const config = make('index.handler', variant);
        if (config !== null) samples[name].push(await sample(nodeMajor, ricMajor, root, 'index.handler', config));
      }
    fs.rmSync(root, { recursive: true, force: true });
    const base = samples.untraced;
    for (const [name, list] of Object.entries(samples)) {
      if (list.length === 0) continue;
      const warm = list.flatMap((x) => x.warm);
      const baseWarm = base.flatMap((x) => x.warm);
      rows.push({
        runtime: `nodejs${nodeMajor}.x (ric ${ricMajor})`,
        handler: variant,
        config: name,
        initMs: round(median(list.map((x) => x.init))),
        firstInvokeMs: round(median(list.map((x) => x.first))),
        coldMs: round(median(list.map((x) => x.cold))),
        coldAddedMs: round(median(list.map((x) => x.cold)) - median(base.map((x) => x.cold))),
        coldAddedRatio: Math.round(((median(list.map((x) => x.cold)) - median(base.map((x) => x.cold))) / median(base.map((x) => x.cold))) * 100) / 100,
        // What tracing adds to the first invocation: the runtime's own first invocation is slower than its warm ones, traced or not.
        firstAddedMs: round(median(list.map((x) => x.first)) - median(base.map((x) => x.first))),
        warmP50AddedMs: round(median(warm) - median(baseWarm)),
        warmP99AddedMs: round(pct(warm, 99) - pct(baseWarm, 99)),
      });
    }
    console.error(`measured ${variant} on Node ${nodeMajor}`);
  }
}
await sink.stop();
fs.rmSync(opt, { recursive: true, force: true });

const ours = (r) => r.config === 'this layer';
const targets = {};
for (const r of rows.filter(ours)) {
  const key = `${r.runtime} ${r.handler}`;
  const dd = rows.find((x) => x.runtime === r.runtime && x.handler === r.handler && x.config.startsWith('Datadog'));
  const otel = rows.find((x) => x.runtime === r.runtime && x.handler === r.handler && x.config.startsWith('OTel'));
  targets[`${key}: cold start added <= 0.25x untraced`] = { value: r.coldAddedRatio, met: r.coldAddedRatio <= 0.25 };
  if (dd) targets[`${key}: >= 5x less than Datadog's library`] = { value: round(dd.coldAddedMs / Math.max(r.coldAddedMs, 0.1)), met: dd.coldAddedMs >= 5 * r.coldAddedMs };
  if (otel) targets[`${key}: >= 10x less than the OTel register`] = { value: round(otel.coldAddedMs / Math.max(r.coldAddedMs, 0.1)), met: otel.coldAddedMs >= 10 * r.coldAddedMs };
  targets[`${key}: warm p50 added <= 1 ms`] = { value: r.warmP50AddedMs, met: r.warmP50AddedMs <= 1 };
  targets[`${key}: warm p99 added <= 3 ms`] = { value: r.warmP99AddedMs, met: r.warmP99AddedMs <= 3 };
  targets[`${key}: first invocation adds no more than a warm one (within 1 ms)`] = { value: r.firstAddedMs, met: r.firstAddedMs <= r.warmP50AddedMs + 1 };
}
const result = { date: new Date().toISOString(), node: process.version, cpus: os.cpus().length, samples: SAMPLES, warm: WARM, rows, targets };
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
// A partial run (BENCH_NODE, BENCH_HANDLERS, BENCH_CONFIGS) does not replace the whole run's record.
const partial = RUNTIMES || VARIANTS || CONFIG_WORDS;
fs.writeFileSync(path.join(here, 'results', partial ? 'lambda-cost.partial.tmp.json' : 'lambda-cost.json'), `${JSON.stringify(result, null, 2)}\n`);
console.table(
  rows.map(({ runtime, handler, config, initMs, firstInvokeMs, firstAddedMs, coldAddedMs, coldAddedRatio, warmP50AddedMs, warmP99AddedMs }) => ({
    runtime,
    handler,
    config,
    initMs,
    firstInvokeMs,
    firstAddedMs,
    coldAddedMs,
    coldAddedRatio,
    warmP50AddedMs,
    warmP99AddedMs,
  })),
);
console.table(Object.fromEntries(Object.entries(targets).map(([k, v]) => [k, `${v.value} ${v.met ? 'met' : 'NOT met'}`])));

// The same rows as the table of bench/README.md, ready to paste.
const signed = (ms) => `${ms >= 0 ? '+' : ''}${Math.round(ms)}`;
console.log('| runtime | handler | configuration | init ms | first ms (added) | cold ms | cold added | warm added p50 / p99 ms |');
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
for (const r of rows) {
  const added = `${signed(r.coldAddedMs)} (${r.coldAddedRatio.toFixed(2)}x)`;
  console.log(
    `| ${r.runtime} | ${r.handler} | ${r.config} | ${Math.round(r.initMs)} | ${Math.round(r.firstInvokeMs)} (${signed(r.firstAddedMs)}) | ${Math.round(r.coldMs)} | ${added} | ${signed(r.warmP50AddedMs)} / ${signed(r.warmP99AddedMs)} |`,
  );
}
