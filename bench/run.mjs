// npm run bench: every measurement side by side in one run on this machine, printed as a
// table and written to bench/results/latest.json. No pass/fail: targets are reported.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from '../test/support/otlp-receiver.mjs';
import { startDatadogAgent, ddTraceEnv } from '../test/support/datadog-agent.mjs';
import { cleanEnv, startNode } from '../test/support/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.resolve(here, '..');
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 15);
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

// Children run asynchronously: the OTLP receiver and agent double live in this
// process and must keep answering while a child runs.
function run(args, { env, cwd = repo } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`node ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stdout, stderr });
    });
  });
}
const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));

console.log('building the package and the layer bundle...');
execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-layer.mjs')], { stdio: 'ignore' });

const receiver = await startOtlpReceiver();
const agent = await startDatadogAgent();
const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };

const configs = [
  { name: 'node (floor)', args: [], env: {} },
  { name: 'otel-xray-datadog/register (package)', args: ['--require', path.join(repo, 'dist', 'register.js')], env: otlp },
  { name: 'otel-xray-datadog layer bundle', args: ['--require', path.join(repo, 'build', 'layer', 'otel-xray-datadog', 'register.js')], env: otlp },
  {
    name: '@opentelemetry/auto-instrumentations-node/register',
    args: ['--require', '@opentelemetry/auto-instrumentations-node/register'],
    // Metrics/logs off and no cloud resource detectors: no network probes, no exit delay.
    env: { ...otlp, OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' },
  },
  { name: 'dd-trace/init', args: ['--require', 'dd-trace/init'], env: ddTraceEnv(agent.url) },
];

// 1 + 2. Start-up wall time and RSS, interleaved in shuffled order every round.
console.log(`start-up: ${ROUNDS} interleaved rounds of ${configs.length} configurations...`);
const times = new Map(configs.map((c) => [c.name, []]));
const rss = new Map(configs.map((c) => [c.name, []]));
for (let r = 0; r < ROUNDS; r++) {
  const order = [...configs].sort(() => Math.random() - 0.5);
  for (const c of order) {
    const env = cleanEnv(c.env);
    times.get(c.name).push((await run([...c.args, '-e', '0'], { env })).ms);
    if (r < 5) {
      const m = await run([...c.args, '-e', 'process.stdout.write(String(process.memoryUsage().rss))'], { env });
      rss.get(c.name).push(Number(m.stdout) / 1024 / 1024);
    }
  }
}
const floorMs = pct(times.get('node (floor)'), 50);
const floorRss = pct(rss.get('node (floor)'), 50);
const startup = configs.map((c) => {
  const t = times.get(c.name);
  return { name: c.name, p50: round(pct(t, 50)), p90: round(pct(t, 90)), addedMs: round(pct(t, 50) - floorMs), ratioToFloor: round(pct(t, 50) / floorMs, 2), addedRssMb: round(pct(rss.get(c.name), 50) - floorRss) };
});

// 3. Span pipeline throughput.
console.log('span pipeline throughput...');
const spans = {};
for (const mode of ['sdk', 'stock', 'noop']) spans[mode] = Math.round(lastJson((await run([path.join(here, 'span-throughput.mjs'), mode])).stdout).spansPerSecond);

// 4. Lambda: per-invocation time with and without the preload (flush to the local receiver).
console.log('Lambda invocations...');
const lambdaEnv = { AWS_LAMBDA_FUNCTION_NAME: 'bench-fn', AWS_REGION: 'us-east-1', AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x', AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128', LAMBDA_TASK_ROOT: path.join(here, 'fixtures', 'fn'), _HANDLER: 'index.handler', ...otlp };
const invocations = async (args) => lastJson((await run([...args, path.join(here, 'lambda-invocations.mjs'), '320'], { env: cleanEnv(lambdaEnv) })).stdout).durations;
const bare = await invocations([]);
const traced = await invocations(['--require', path.join(repo, 'dist', 'register.js')]);
const lambda = {
  untraced: { p50: round(pct(bare, 50), 3), p99: round(pct(bare, 99), 3) },
  traced: { p50: round(pct(traced, 50), 3), p99: round(pct(traced, 99), 3) },
  overhead: { p50: round(pct(traced, 50) - pct(bare, 50), 3), p99: round(pct(traced, 99) - pct(bare, 99), 3) },
};

// 5. Host app throughput, driven from a second process.
console.log('host app throughput...');
const throughput = {};
for (const [name, args] of [['untraced', []], ['traced', ['--require', path.join(repo, 'dist', 'register.js')]]]) {
  const server = await startNode([...args, path.join(here, 'http-server.cjs')], { env: cleanEnv(otlp) });
  throughput[name] = Math.round(lastJson((await run([path.join(here, 'load.mjs'), server.match[1], '16', '4'])).stdout).rps);
  await server.stop();
}

await receiver.close();
await agent.close();

const bundle = startup.find((s) => s.name.includes('bundle'));
const auto = startup.find((s) => s.name.includes('auto-instrumentations'));
const targets = {
  'bundle start-up overhead <= 15 ms': { value: bundle.addedMs, met: bundle.addedMs <= 15 },
  'bundle overhead >= 5x less than auto-instrumentations': { value: round(auto.addedMs / bundle.addedMs, 1), met: auto.addedMs / bundle.addedMs >= 5 },
  'spans/s >= 500k': { value: spans.sdk, met: spans.sdk >= 500_000 },
  'Lambda flush overhead p50 <= 3 ms': { value: lambda.overhead.p50, met: lambda.overhead.p50 <= 3 },
  'bundle added RSS <= 15 MB': { value: bundle.addedRssMb, met: bundle.addedRssMb <= 15 },
};
const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
  rounds: ROUNDS,
  startup,
  spansPerSecond: spans,
  lambda,
  hostThroughputRps: { ...throughput, ratio: round(throughput.traced / throughput.untraced, 2) },
  targets,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log(`\nMachine: ${result.machine.cpus} x ${result.machine.cpuModel}, ${result.machine.memoryGb} GiB, Node ${result.machine.node}\n`);
console.log('| start-up (node -e 0) | p50 ms | p90 ms | added ms | x floor | added RSS MB |');
console.log('|---|---|---|---|---|---|');
for (const s of startup) console.log(`| ${s.name} | ${s.p50} | ${s.p90} | ${s.addedMs} | ${s.ratioToFloor} | ${s.addedRssMb} |`);
console.log(`\n| span pipeline | spans/s |\n|---|---|\n| our pipeline (X-Ray ids, parent-based sampler, batch -> discarding exporter) | ${spans.sdk.toLocaleString('en')} |\n| stock SDK defaults, same processor (machine ceiling) | ${spans.stock.toLocaleString('en')} |\n| API no-op tracer | ${spans.noop.toLocaleString('en')} |`);
console.log(`\n| Lambda invocation (trivial handler) | p50 ms | p99 ms |\n|---|---|---|\n| untraced | ${lambda.untraced.p50} | ${lambda.untraced.p99} |\n| traced, flushed to OTLP on 127.0.0.1 | ${lambda.traced.p50} | ${lambda.traced.p99} |\n| overhead (wrapper + flush) | ${lambda.overhead.p50} | ${lambda.overhead.p99} |`);
console.log(`\n| host app, 16 connections, 4 s | req/s |\n|---|---|\n| untraced | ${throughput.untraced} |\n| traced | ${throughput.traced} (${result.hostThroughputRps.ratio}x) |`);
console.log('\n| target | measured | met |\n|---|---|---|');
for (const [k, v] of Object.entries(targets)) console.log(`| ${k} | ${v.value} | ${v.met ? 'yes' : 'no'} |`);
