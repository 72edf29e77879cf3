// Builds (or reuses) the real collector from collector-config/builder-config.yaml and runs
// it with the shipped collector.yaml, pointed at a Datadog intake double, on free ports.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { repoRoot, rssBytes } from './processes.mjs';

export const STATS_GATE = '--feature-gates=-exporter.datadogexporter.DisableAPMStats';
export const shippedConfig = path.join(repoRoot, 'collector-config', 'collector.yaml');
export const agentConfig = path.join(repoRoot, 'collector-config', 'agent.yaml');
export const gatewayConfig = path.join(repoRoot, 'collector-config', 'gateway.yaml');
export const gatewayXrayConfig = path.join(repoRoot, 'collector-config', 'gateway-xray.yaml');

let binary;
export function collectorBinary() {
  binary ??= execFileSync('bash', [path.join(repoRoot, 'scripts', 'build-collector.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .at(-1);
  return binary;
}

export async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Environment for the collector: a fake (hex) API key and a fixed hostname, so no cloud metadata is probed. */
export function collectorEnv(extra = {}) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!/^(DD_|OTEL|AWS_)/.test(k)) env[k] = v;
  return { ...env, DD_API_KEY: '0123456789abcdef0123456789abcdef', DD_SITE: 'datadoghq.com', DD_HOSTNAME: 'e2e-host', ...extra };
}

/** Runs `otelcol validate`; resolves {code, output}. */
export function validateConfig(configs, env = collectorEnv()) {
  return new Promise((resolve) => {
    const child = spawn(collectorBinary(), ['validate', ...configs.flatMap((c) => ['--config', c]), STATS_GATE], { env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Only what a test collector changes from production: where "Datadog" is, no key check, no host metadata. */
export function intakeOverlay(intakeUrl) {
  return `exporters:
  datadog:
    api:
      fail_on_invalid_key: false
    host_metadata:
      enabled: false
    traces:
      endpoint: ${intakeUrl}
    metrics:
      endpoint: ${intakeUrl}
    logs:
      endpoint: ${intakeUrl}
`;
}

export async function startCollector({ intakeUrl, config = shippedConfig, env: extraEnv = {} }) {
  const [http, grpc, health] = [await freePort(), await freePort(), await freePort()];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelcol-'));
  const overlay = path.join(dir, 'intake-double.yaml');
  fs.writeFileSync(overlay, intakeOverlay(intakeUrl));
  const env = collectorEnv({
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${http}`,
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${grpc}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${health}`,
    ...extraEnv,
  });
  const child = spawn(collectorBinary(), ['--config', config, '--config', overlay, STATS_GATE], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));

  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`collector exited (${child.exitCode}) before it was healthy:\n${log}`);
    try {
      const res = await fetch(`http://127.0.0.1:${health}/`);
      if (res.ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`collector not healthy within 30 s:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    otlpUrl: `http://127.0.0.1:${http}`,
    log: () => log,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      const result = await exited;
      fs.rmSync(dir, { recursive: true, force: true });
      return result;
    },
  };
}

/** Prometheus text exposition -> [{ name, labels, value }]. */
export function parsePrometheus(text) {
  const samples = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = line.match(/^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)/);
    if (!m) continue;
    const labels = {};
    for (const [, k, v] of (m[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) labels[k] = v;
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return samples;
}

/** Sum of the samples called `name` whose labels include every pair of `where`. */
export function metricSum(samples, name, where = {}) {
  return samples.filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v)).reduce((sum, s) => sum + s.value, 0);
}

/**
 * Runs the real collector with `configs` (paths; an `overlay` YAML text is written to a temp file
 * and loaded last) and exactly the environment `env` (see collectorEnv). Resolves once its
 * health_check answers on `healthPort`. The handle can stop, SIGKILL and restart it with the
 * same arguments (same ports, same disk queue directory); logs of every run are kept.
 */
export async function launchCollector({ name, configs, overlay, env, healthPort, metricsPort, featureGates = [STATS_GATE], readyTimeoutMs = 30_000 }) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `otelcol-${name}-`));
  const files = [...configs];
  if (overlay !== undefined) {
    const file = path.join(dir, 'overlay.yaml');
    fs.writeFileSync(file, overlay);
    files.push(file);
  }
  const args = [...files.flatMap((c) => ['--config', c]), ...featureGates];
  const runs = [];
  let child;
  let exited;

  const start = async () => {
    const run = { log: '' };
    runs.push(run);
    child = spawn(collectorBinary(), args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d) => (run.log += d));
    child.stderr.on('data', (d) => (run.log += d));
    const current = child;
    exited = new Promise((resolve) => current.on('close', (code, signal) => resolve({ code, signal })));
    const deadline = Date.now() + readyTimeoutMs;
    for (;;) {
      if (current.exitCode !== null || current.signalCode !== null)
        throw new Error(`collector ${name} exited (${current.exitCode ?? current.signalCode}) before it was healthy:\n${run.log}`);
      try {
        const res = await fetch(`http://127.0.0.1:${healthPort}/`);
        if (res.ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        current.kill('SIGKILL');
        throw new Error(`collector ${name} not healthy within ${readyTimeoutMs} ms:\n${run.log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  await start();

  const handle = {
    name,
    dir,
    get pid() {
      return child.pid;
    },
    /** The current run's output, or every run's with `all`. */
    log: (all = false) => (all ? runs.map((r) => r.log).join('\n') : runs.at(-1).log),
    running: () => child.exitCode === null && child.signalCode === null,
    async metrics() {
      const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
      return parsePrometheus(await res.text());
    },
    /** Ends the current process (SIGTERM: a graceful shutdown; SIGKILL: none). */
    async stop(signal = 'SIGTERM') {
      if (handle.running()) child.kill(signal);
      return exited;
    },
    async restart() {
      await handle.stop();
      await start();
    },
    /** Stops it and removes its temp directory (disk queues included). */
    async dispose() {
      await handle.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    },
    /** Resident memory of the current process, in bytes (Linux /proc). */
    rssBytes: () => rssBytes(child.pid),
  };
  return handle;
}

/** Polls a collector's own metrics until `check(samples)` is truthy; resolves the samples. */
export async function waitForMetrics(collector, check, { timeoutMs = 30_000, what = 'collector metrics' } = {}) {
  const deadline = Date.now() + timeoutMs;
  let last = [];
  for (;;) {
    try {
      last = await collector.metrics();
      if (check(last)) return last;
    } catch {
      // not answering yet
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out waiting for ${what} from ${collector.name}; last: ${last
          .filter((s) => s.name.startsWith('otelcol_'))
          .map((s) => `${s.name}${JSON.stringify(s.labels)}=${s.value}`)
          .join(', ')}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
