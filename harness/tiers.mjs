// The two-tier topology of docs/collector.md on 127.0.0.1, from the shipped configs:
// agents (agent.yaml, disk queue) -> HAProxy -> gateways (gateway.yaml, TLS + bearer token,
// datadog exporter) -> the Datadog intake double (or whatever `intakeUrl` is). Only ports,
// hostnames, the queue directory and where "Datadog" is differ from production; the test
// overlay says so. Also drives traced processes that make spans on command (span-load.cjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { agentConfig, collectorEnv, freePort, gatewayConfig, gatewayXrayConfig, intakeOverlay, launchCollector } from './collector.mjs';
import { startHaproxy } from './haproxy.mjs';
import { cleanEnv, registerCjs, repoRoot, rssBytes } from './processes.mjs';

/** Test-only differences of a gateway: where Datadog is, no key check, no host metadata (and where X-Ray is). */
export function gatewayOverlay({ intakeUrl, xrayTracesUrl }) {
  let yaml = intakeOverlay(intakeUrl);
  if (xrayTracesUrl)
    yaml += `  otlp_http/xray:
    traces_endpoint: ${xrayTracesUrl}
`;
  return yaml;
}

/** Environment of a gateway: TLS and token from `pki`, every port on 127.0.0.1. */
export function gatewayEnv({ pki, ports, hostname, clientCa = false, extra = {} }) {
  return collectorEnv({
    DD_HOSTNAME: hostname,
    OTELCOL_TLS_CERT_FILE: pki.serverCert,
    OTELCOL_TLS_KEY_FILE: pki.serverKey,
    ...(clientCa ? { OTELCOL_TLS_CLIENT_CA_FILE: pki.caFile } : {}),
    OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile,
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
    OTELCOL_METRICS_HOST: '127.0.0.1',
    OTELCOL_METRICS_PORT: String(ports.metrics),
    ...extra,
  });
}

export async function collectorPorts() {
  return { grpc: await freePort(), http: await freePort(), health: await freePort(), metrics: await freePort() };
}

export async function startGateway({ name, pki, intakeUrl, xray, clientCa = false, extraEnv = {} }) {
  const ports = await collectorPorts();
  const configs = xray ? [gatewayConfig, gatewayXrayConfig] : [gatewayConfig];
  const env = gatewayEnv({ pki, ports, hostname: name, clientCa, extra: { ...(xray ? { AWS_REGION: xray.region, ...xray.credentials } : {}), ...extraEnv } });
  const handle = await launchCollector({
    name,
    configs,
    overlay: gatewayOverlay({ intakeUrl, xrayTracesUrl: xray?.tracesUrl }),
    env,
    healthPort: ports.health,
    metricsPort: ports.metrics,
  });
  return Object.assign(handle, { ports, otlpUrl: `https://localhost:${ports.http}` });
}

export async function startAgent({ name, pki, gatewayUrl, storageDir, clientCert = false, extraEnv = {} }) {
  const ports = await collectorPorts();
  const env = collectorEnv({
    OTELCOL_GATEWAY_ENDPOINT: gatewayUrl,
    OTELCOL_GATEWAY_CA_FILE: pki.caFile,
    OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile,
    ...(clientCert ? { OTELCOL_GATEWAY_CLIENT_CERT_FILE: pki.clientCert, OTELCOL_GATEWAY_CLIENT_KEY_FILE: pki.clientKey } : {}),
    OTELCOL_STORAGE_DIR: storageDir,
    OTELCOL_OTLP_GRPC_ENDPOINT: `127.0.0.1:${ports.grpc}`,
    OTELCOL_OTLP_HTTP_ENDPOINT: `127.0.0.1:${ports.http}`,
    OTELCOL_HEALTH_ENDPOINT: `127.0.0.1:${ports.health}`,
    OTELCOL_METRICS_HOST: '127.0.0.1',
    OTELCOL_METRICS_PORT: String(ports.metrics),
    ...extraEnv,
  });
  const handle = await launchCollector({ name, configs: [agentConfig], env, healthPort: ports.health, metricsPort: ports.metrics, featureGates: [] });
  return Object.assign(handle, { ports, otlpUrl: `http://127.0.0.1:${ports.http}` });
}

/** `gateways` gateways behind HAProxy, `agents` agents sending to it. */
export async function startTiers({ pki, intakeUrl, gateways = 3, agents = 2, agentEnv = {}, gatewayExtraEnv = {} }) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'otel-tiers-'));
  const started = { gateways: [], agents: [], haproxy: undefined };
  const dispose = async () => {
    for (const a of started.agents) await a.dispose();
    await started.haproxy?.stop();
    for (const g of started.gateways) await g.dispose();
    fs.rmSync(root, { recursive: true, force: true });
  };
  try {
    for (let i = 0; i < gateways; i++) started.gateways.push(await startGateway({ name: `gateway-${i + 1}`, pki, intakeUrl, extraEnv: gatewayExtraEnv }));
    started.haproxy = await startHaproxy({ port: await freePort(), backends: started.gateways.map((g) => g.ports.http) });
    for (let i = 0; i < agents; i++) {
      const storageDir = path.join(root, `agent-${i + 1}-queue`);
      started.agents.push(await startAgent({ name: `agent-${i + 1}`, pki, gatewayUrl: started.haproxy.url, storageDir, extraEnv: agentEnv }));
    }
  } catch (error) {
    await dispose();
    throw error;
  }
  return { ...started, dispose };
}

/**
 * A traced process (the real SDK, via dist/register.js) making spans on command; see span-load.cjs.
 * `env`: added to a clean environment (no inherited OTEL_/DD_ settings).
 */
export async function startSpanLoad({ env, node = process.execPath }) {
  const child = spawn(node, ['--require', registerCjs, path.join(repoRoot, 'harness', 'span-load.cjs')], {
    env: cleanEnv(env),
    cwd: repoRoot,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const waiting = [];
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  readline.createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    waiting.shift()?.(msg);
  });
  const next = () =>
    new Promise((resolve, reject) => {
      waiting.push(resolve);
      exited.then(({ code, signal }) => reject(new Error(`span-load exited (${code ?? signal}):\n${stderr}`)));
    });
  await next(); // {ready}
  const command = (cmd) => {
    const answer = next();
    child.stdin.write(`${JSON.stringify(cmd)}\n`);
    return answer;
  };
  return {
    pid: child.pid,
    stderr: () => stderr,
    send: (run, count, rate, ids = false) => command({ cmd: 'send', run, count, rate, ids }),
    flush: () => command({ cmd: 'flush' }),
    rssBytes: () => rssBytes(child.pid),
    /** SIGTERM: the SDK flushes what it holds and reports what it could not send. */
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const result = await exited;
      return { ...result, stderr };
    },
  };
}

/** Spans of `run` at the intake: copies, unique (by load.seq per service), duplicates. */
export function runCounts(intakeSpans, run) {
  const mine = intakeSpans.filter((s) => s.meta?.['load.run'] === run);
  const keys = new Set(mine.map((s) => `${s.service}:${s.metrics['load.seq']}`));
  return { copies: mine.length, unique: keys.size, duplicates: mine.length - keys.size, keys };
}
