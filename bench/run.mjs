// npm run bench: every measurement side by side in one run on this machine, printed as a
// table and written to bench/results/latest.json. No pass/fail: targets are reported.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { startDatadogAgent, ddTraceEnv } from '../harness/datadog-agent.mjs';
import { startNode } from '../harness/processes.mjs';
import { startSandbox } from '../harness/lambda-sandbox.mjs';

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
function run(args, { env, cwd = repo, node = process.execPath } = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(node, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
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
// Children get PATH and HOME and what their case sets, nothing else: this machine's environment
// sets NODE_EXTRA_CA_CERTS, which alone adds 40-80 ms to every Node 20 start and hides the ratios.
const bare = (extra = {}) => ({ PATH: process.env.PATH, HOME: process.env.HOME, ...extra });

console.log('building the package and the layer...');
execFileSync(process.execPath, [path.join(repo, 'scripts', 'build-layer.mjs')], { stdio: 'ignore' });
const nodes = [{ major: Number(process.versions.node.split('.')[0]), bin: process.execPath }];
for (const major of (process.env.BENCH_NODES ?? '22 24').split(' ').filter(Boolean).map(Number)) {
  nodes.push({
    major,
    bin: execFileSync('bash', [path.join(repo, 'scripts', 'install-node.sh'), String(major)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .at(-1),
  });
}

const receiver = await startOtlpReceiver();
const agent = await startDatadogAgent();
const otlp = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url };
const PACKAGE = 'otel-xray-datadog/register (package)';
const AUTO = '@opentelemetry/auto-instrumentations-node/register';
const DD = 'dd-trace/init';
const autoEnv = { ...otlp, OTEL_TRACES_EXPORTER: 'otlp', OTEL_METRICS_EXPORTER: 'none', OTEL_LOGS_EXPORTER: 'none', OTEL_NODE_RESOURCE_DETECTORS: 'env,host,os,process' };
const configs = [
  { name: 'node (floor)', args: [], env: {} },
  { name: PACKAGE, args: ['--require', path.join(repo, 'dist', 'register.js')], env: otlp },
  { name: `${PACKAGE}, http only`, args: ['--require', path.join(repo, 'dist', 'register.js')], env: { ...otlp, OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http' } },
  // The layer is measured where it runs, under the runtime client (below and npm run bench:lambda):
  // its one bundle holds stage 2, which in Lambda starts at init; a host never loads it.
  // Metrics/logs off and no cloud resource detectors: no network probes, no exit delay.
  { name: AUTO, args: ['--require', '@opentelemetry/auto-instrumentations-node/register'], env: autoEnv },
  { name: DD, args: ['--require', 'dd-trace/init'], env: ddTraceEnv(agent.url) },
];

/** p50/p90 wall time and p50 RSS of `node <args> <script>` per configuration, interleaved in shuffled order. */
async function measure(node, script, cases) {
  const times = new Map(cases.map((c) => [c.name, []]));
  const rss = new Map(cases.map((c) => [c.name, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of [...cases].sort(() => Math.random() - 0.5)) {
      times.get(c.name).push((await run([...c.args, ...script], { env: bare(c.env), node: node.bin })).ms);
      if (r < 5) {
        const m = await run(
          [...c.args, '-e', `${script[0] === '-e' ? script[1] : `require(${JSON.stringify(script[0])})`}; process.stdout.write(String(process.memoryUsage().rss))`],
          { env: bare(c.env), node: node.bin },
        );
        rss.get(c.name).push(Number(m.stdout) / 1024 / 1024);
      }
    }
  }
  const floorMs = pct(times.get(cases[0].name), 50);
  const floorRss = pct(rss.get(cases[0].name), 50);
  return cases.map((c) => {
    const t = times.get(c.name);
    return {
      node: node.major,
      name: c.name,
      p50: round(pct(t, 50)),
      p90: round(pct(t, 90)),
      addedMs: round(pct(t, 50) - floorMs),
      addedToFloor: round((pct(t, 50) - floorMs) / floorMs, 2),
      addedRssMb: round(pct(rss.get(c.name), 50) - floorRss),
    };
  });
}

// 1 + 2. Start-up wall time and RSS of an app that uses none of the table, on each Node line.
const startup = [];
for (const node of nodes) {
  console.log(`start-up on Node ${node.major}: ${ROUNDS} interleaved rounds of ${configs.length} configurations...`);
  startup.push(...(await measure(node, ['-e', '0'], configs)));
}
// An express + pg app (Node ${nodes[0].major}): what a typical host service pays.
console.log('start-up of an express + pg app...');
const appStartup = await measure(
  nodes[0],
  [path.join(here, 'fixtures', 'express-pg.cjs')],
  [{ name: 'express + pg, untraced', args: [], env: {} }, ...configs.filter((c) => !c.name.endsWith('http only') && c.args.length > 0)],
);

// 3. Span pipeline throughput.
console.log('span pipeline throughput...');
const spans = {};
for (const mode of ['sdk', 'stock', 'noop']) spans[mode] = Math.round(lastJson((await run([path.join(here, 'span-throughput.mjs'), mode])).stdout).spansPerSecond);

// 4. Lambda: per-invocation time with and without the preload (flush to the local receiver).
console.log('Lambda invocations...');
const lambdaEnv = {
  AWS_LAMBDA_FUNCTION_NAME: 'bench-fn',
  AWS_REGION: 'us-east-1',
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
  LAMBDA_TASK_ROOT: path.join(here, 'fixtures', 'fn'),
  _HANDLER: 'index.handler',
  ...otlp,
};
const invocations = async (args) => lastJson((await run([...args, path.join(here, 'lambda-invocations.mjs'), '320'], { env: bare(lambdaEnv) })).stdout).durations;
const untracedInvocations = await invocations([]);
const traced = await invocations(['--require', path.join(repo, 'dist', 'register.js')]);
const lambda = {
  untraced: { p50: round(pct(untracedInvocations, 50), 3), p99: round(pct(untracedInvocations, 99), 3) },
  traced: { p50: round(pct(traced, 50), 3), p99: round(pct(traced, 99), 3) },
  overhead: { p50: round(pct(traced, 50) - pct(untracedInvocations, 50), 3), p99: round(pct(traced, 99) - pct(untracedInvocations, 99), 3) },
};

// 4b. Lambda cold start under AWS's runtime client, through the layer's exec wrapper: from
// starting the runtime process to the first invocation's response, with and without the layer.
console.log('Lambda cold starts under aws-lambda-ric...');
const layerOpt = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-opt-'));
execFileSync('unzip', ['-q', path.join(repo, 'build', 'otel-xray-datadog-layer.zip'), '-d', layerOpt]);
const coldStarts = [];
for (const [nodeMajor, ricMajor] of [
  [20, 3],
  [22, 3],
  [24, 4],
].filter(([n]) => nodes.some((x) => x.major === n))) {
  const samples = { untraced: [], layer: [] };
  for (let r = 0; r < Math.min(ROUNDS, 8); r++) {
    for (const mode of ['untraced', 'layer']) {
      const t0 = Date.now();
      const sb = await startSandbox({
        nodeMajor,
        ricMajor,
        taskRoot: path.join(here, 'fixtures', 'fn'),
        handler: 'index.handler',
        execWrapper: mode === 'layer' ? path.join(layerOpt, 'otel-xray-datadog-handler') : undefined,
        env: otlp,
      });
      const result = await sb.invoke({ event: {}, traceId: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' });
      samples[mode].push(result.respondedAt - t0);
      await sb.stop();
    }
  }
  coldStarts.push({
    node: nodeMajor,
    ric: ricMajor,
    untracedMs: pct(samples.untraced, 50),
    layerMs: pct(samples.layer, 50),
    addedMs: pct(samples.layer, 50) - pct(samples.untraced, 50),
  });
}
fs.rmSync(layerOpt, { recursive: true, force: true });

// 5. Host app throughput, driven from a second process. Both tracers send to one sink in a process
// of its own that answers at once: the decoding doubles of this process would take CPU from the
// server under test (2 cores), and more for OTLP protobuf than for msgpack.
console.log('host app throughput...');
const throughput = {};
const sink = await startNode([path.join(repo, 'harness', 'answering-sink.cjs')]);
const sinkUrl = `http://127.0.0.1:${sink.match[1]}`;
for (const [name, args, env] of [
  ['untraced', [], {}],
  ['traced', ['--require', path.join(repo, 'dist', 'register.js')], { OTEL_EXPORTER_OTLP_ENDPOINT: sinkUrl }],
  ['dd-trace', ['--require', 'dd-trace/init'], ddTraceEnv(sinkUrl)],
]) {
  const server = await startNode([...args, path.join(here, 'http-server.cjs')], { env: bare(env) });
  throughput[name] = Math.round(lastJson((await run([path.join(here, 'load.mjs'), server.match[1], '16', '4'])).stdout).rps);
  await server.stop();
}
await sink.stop();

await receiver.close();
await agent.close();

const at = (node, name) => startup.find((s) => s.node === node && s.name === name);
const targets = {};
for (const { major } of nodes) {
  const pkg = at(major, PACKAGE);
  targets[`Node ${major}: package preload added start-up <= 0.25x the floor`] = { value: pkg.addedToFloor, met: pkg.addedToFloor <= 0.25 };
  const vsAuto = at(major, AUTO).addedMs / Math.max(pkg.addedMs, 0.1);
  const vsDd = at(major, DD).addedMs / Math.max(pkg.addedMs, 0.1);
  targets[`Node ${major}: package >= 8x less added start-up than auto-instrumentations-node`] = { value: round(vsAuto, 1), met: vsAuto >= 8 };
  targets[`Node ${major}: package >= 5x less added start-up than dd-trace`] = { value: round(vsDd, 1), met: vsDd >= 5 };
  targets[`Node ${major}: package added RSS <= 12 MB`] = { value: pkg.addedRssMb, met: pkg.addedRssMb <= 12 };
  const httpOnly = at(major, `${PACKAGE}, http only`);
  targets[`Node ${major}: whole table within 10% of the http-only preload`] = { value: round(pkg.p50 / httpOnly.p50, 3), met: pkg.p50 <= httpOnly.p50 * 1.1 };
}
targets['span pipeline >= 90% of the stock SDK with the same processor'] = { value: round(spans.sdk / spans.stock, 2), met: spans.sdk >= 0.9 * spans.stock };
const ratio = (name) => round(throughput[name] / throughput.untraced, 2);
targets["host app req/s traced/untraced >= dd-trace's ratio"] = { value: `${ratio('traced')} vs ${ratio('dd-trace')}`, met: ratio('traced') >= ratio('dd-trace') };
targets['Lambda flush overhead p50 <= 3 ms'] = { value: lambda.overhead.p50, met: lambda.overhead.p50 <= 3 };

const result = {
  date: new Date().toISOString(),
  machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGb: round(os.totalmem() / 2 ** 30), node: process.version, platform: `${os.platform()} ${os.release()}` },
  rounds: ROUNDS,
  startup,
  appStartup,
  spansPerSecond: spans,
  lambda,
  lambdaColdStarts: coldStarts,
  hostThroughputRps: { ...throughput, tracedRatio: ratio('traced'), ddTraceRatio: ratio('dd-trace') },
  targets,
};
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);

console.log(`\nMachine: ${result.machine.cpus} x ${result.machine.cpuModel}, ${result.machine.memoryGb} GiB\n`);
console.log('| Node | start-up (node -e 0) | p50 ms | p90 ms | added ms | added / floor | added RSS MB |');
console.log('|---|---|---|---|---|---|---|');
for (const s of startup) console.log(`| ${s.node} | ${s.name} | ${s.p50} | ${s.p90} | ${s.addedMs} | ${s.addedToFloor} | ${s.addedRssMb} |`);
console.log(`\n| express + pg app, Node ${nodes[0].major} | p50 ms | added ms | added RSS MB |\n|---|---|---|---|`);
for (const s of appStartup) console.log(`| ${s.name} | ${s.p50} | ${s.addedMs} | ${s.addedRssMb} |`);
console.log(
  `\n| span pipeline | spans/s |\n|---|---|\n| our pipeline (X-Ray ids, parent-based sampler, our span processors, batch -> discarding exporter) | ${spans.sdk.toLocaleString('en')} |\n| stock SDK defaults, same batch processor | ${spans.stock.toLocaleString('en')} |\n| API no-op tracer | ${spans.noop.toLocaleString('en')} |`,
);
console.log(
  `\n| Lambda invocation (trivial handler) | p50 ms | p99 ms |\n|---|---|---|\n| untraced | ${lambda.untraced.p50} | ${lambda.untraced.p99} |\n| traced, flushed to OTLP on 127.0.0.1 | ${lambda.traced.p50} | ${lambda.traced.p99} |\n| overhead (wrapper + flush) | ${lambda.overhead.p50} | ${lambda.overhead.p99} |`,
);
console.log('\n| Lambda cold start, runtime start to first response (p50) | untraced ms | layer ms | added ms |\n|---|---|---|---|');
for (const c of coldStarts) console.log(`| Node ${c.node}, aws-lambda-ric ${c.ric}.x | ${c.untracedMs} | ${c.layerMs} | ${c.addedMs} |`);
console.log(
  `\n| host app, 16 connections, 4 s | req/s | vs untraced |\n|---|---|---|\n| untraced | ${throughput.untraced} | 1 |\n| otel-xray-datadog | ${throughput.traced} | ${ratio('traced')} |\n| dd-trace | ${throughput['dd-trace']} | ${ratio('dd-trace')} |`,
);
console.log('\n| target | measured | met |\n|---|---|---|');
for (const [k, v] of Object.entries(targets)) console.log(`| ${k} | ${v.value} | ${v.met ? 'yes' : 'no'} |`);
