// Who can send to the collectors (docs/collector.md, "Who can send"): every shipped config
// listens on localhost unless told otherwise, and a gateway (gateway.yaml) takes spans only
// over TLS and only with the bearer token. Real collector processes, certificates and token
// made at test time by openssl in a private temporary directory, the Datadog intake double.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { agentConfig, collectorBinary, gatewayConfig, gatewayXrayConfig, metricSum, shippedConfig, STATS_GATE, waitForMetrics } from '../harness/collector.mjs';
import { makeTestPki } from '../harness/certs.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { runCounts, startAgent, startGateway, startSpanLoad } from '../harness/tiers.mjs';
import { TEST_AWS_CREDENTIALS } from '../harness/xray-endpoint.mjs';
import { waitUntil } from '../harness/wait.mjs';

let intake;
let pki;
let gateway; // TLS + token
let mtlsGateway; // TLS + token + client certificate
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'otelcol-security-'));

before(async () => {
  collectorBinary();
  intake = await startDatadogIntake();
  pki = makeTestPki();
  gateway = await startGateway({ name: 'gateway-tls', pki, intakeUrl: intake.url });
  mtlsGateway = await startGateway({ name: 'gateway-mtls', pki, intakeUrl: intake.url, clientCa: true });
});
after(async () => {
  await gateway?.dispose();
  await mtlsGateway?.dispose();
  await intake?.close();
  pki?.remove();
  fs.rmSync(work, { recursive: true, force: true });
});

const EMPTY_EXPORT = '{"resourceSpans":[]}';
/** One OTLP/HTTP JSON export; resolves { status, body } or { error } (never rejects). */
function post(url, { token, ca, cert, key } = {}) {
  const target = new URL('/v1/traces', url);
  const mod = target.protocol === 'https:' ? https : http;
  const headers = { 'content-type': 'application/json', 'content-length': Buffer.byteLength(EMPTY_EXPORT) };
  if (token !== undefined) headers.authorization = `Bearer ${token}`;
  return new Promise((resolve) => {
    const req = mod.request(target, { method: 'POST', headers, ca, cert, key, agent: false }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    req.on('error', (error) => resolve({ error: error.code ?? error.message }));
    req.end(EMPTY_EXPORT);
  });
}
const read = (file) => fs.readFileSync(file);
const refusedWith = (samples, status) => metricSum(samples, 'http_server_request_duration_count', { http_response_status_code: String(status) });

test('a gateway refuses plain text, a missing token and a wrong token; its own metrics count the token refusals', async () => {
  const ca = read(pki.caFile);
  const tries = 3;
  for (let i = 0; i < tries; i++) {
    // Plain text, even with the right token: Go's TLS server answers 400 and closes.
    const plain = await post(gateway.otlpUrl.replace('https:', 'http:'), { token: pki.token });
    assert.equal(plain.status, 400);
    assert.match(plain.body, /Client sent an HTTP request to an HTTPS server/);
    const none = await post(gateway.otlpUrl, { ca });
    assert.equal(none.status, 401);
    const wrong = await post(gateway.otlpUrl, { ca, token: 'not-the-token' });
    assert.equal(wrong.status, 401);
    // A client that does not trust the gateway's CA refuses it in turn.
    const untrusted = await post(gateway.otlpUrl, { token: pki.token });
    assert.equal(untrusted.error, 'UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  }
  const ok = await post(gateway.otlpUrl, { ca, token: pki.token });
  assert.equal(ok.status, 200);
  const m = await gateway.metrics();
  assert.equal(refusedWith(m, 401), 2 * tries, 'each request without the right token counted as a 401');
  assert.equal(refusedWith(m, 200), 1);
  // Refused requests never reach the receiver: nothing accepted, nothing refused there.
  assert.equal(metricSum(m, 'otelcol_receiver_accepted_spans'), 0);
  assert.equal(metricSum(m, 'otelcol_receiver_refused_spans'), 0);
  // TLS refusals happen before any handler, so no metric sees them; the collector logs each one.
  const handshakes = await handshakeErrors(gateway, 2 * tries);
  assert.equal(handshakes.filter((l) => /client sent an HTTP request to an HTTPS server/.test(l)).length, tries, handshakes.join('\n'));
  // The client that does not trust the gateway hangs up mid-handshake.
  assert.equal(handshakes.filter((l) => /^(EOF|remote error: tls: (bad certificate|unknown certificate authority))$/.test(l)).length, tries, handshakes.join('\n'));
});

/** The collector's "TLS handshake error" log lines, once there are `n` of them. */
function handshakeErrors(collector, n) {
  const lines = () =>
    collector
      .log()
      .split('\n')
      .filter((l) => l.includes('TLS handshake error'))
      .map((l) => l.replace(/^.*TLS handshake error from [^:]+:\d+: /, '').replace(/\t\{.*$/, ''));
  return waitUntil(() => (lines().length === n ? lines() : undefined), { timeoutMs: 5_000, what: `${n} handshake error lines`, seen: () => lines().join('\n') });
}

/** One OTLP/gRPC Export call (an empty request) over HTTP/2; resolves { grpcStatus, message } or { error }. */
function grpcExport(url, { token, ca } = {}) {
  return new Promise((resolve) => {
    const session = http2.connect(url, { ca });
    session.on('error', (error) => resolve({ error: error.code ?? error.message }));
    const headers = { ':method': 'POST', ':path': '/opentelemetry.proto.collector.trace.v1.TraceService/Export', 'content-type': 'application/grpc', te: 'trailers' };
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    const req = session.request(headers);
    let status;
    let message;
    const take = (h) => {
      if (h['grpc-status'] !== undefined) [status, message] = [Number(h['grpc-status']), h['grpc-message']];
    };
    req.on('response', take);
    req.on('trailers', take);
    req.on('error', (error) => resolve({ error: error.code ?? error.message }));
    req.on('close', () => {
      session.close();
      resolve(status === undefined ? { error: 'no grpc-status' } : { grpcStatus: status, message });
    });
    req.resume();
    req.end(Buffer.alloc(5)); // uncompressed, zero-length ExportTraceServiceRequest
  });
}

test("the gateway's gRPC listener refuses the same way: no TLS, no token, a wrong token", async () => {
  const ca = read(pki.caFile);
  const url = `https://localhost:${gateway.ports.grpc}`;
  // Plain-text HTTP/2: the connection is closed without an answer (and, unlike HTTP, not logged).
  assert.deepEqual(await grpcExport(`http://127.0.0.1:${gateway.ports.grpc}`, { token: pki.token }), { error: 'no grpc-status' });
  assert.equal((await grpcExport(url, { ca })).grpcStatus, 16, 'no token: UNAUTHENTICATED');
  assert.equal((await grpcExport(url, { ca, token: 'not-the-token' })).grpcStatus, 16, 'wrong token: UNAUTHENTICATED');
  assert.equal((await grpcExport(url, { ca, token: pki.token })).grpcStatus, 0, 'right token: OK');
  const m = await gateway.metrics();
  const calls = (code) => metricSum(m, 'rpc_server_call_duration_count', { rpc_response_status_code: code });
  assert.equal(calls('UNAUTHENTICATED'), 2);
  assert.equal(calls('OK'), 1);
});

test('a gateway that requires client certificates refuses an expired one, and one without any, at the handshake; its log counts them', async () => {
  const ca = read(pki.caFile);
  const tries = 2;
  for (let i = 0; i < tries; i++) {
    const expired = await post(mtlsGateway.otlpUrl, { ca, token: pki.token, cert: read(pki.expiredClientCert), key: read(pki.expiredClientKey) });
    assert.equal(expired.status, undefined, `refused: ${JSON.stringify(expired)}`);
    const anonymous = await post(mtlsGateway.otlpUrl, { ca, token: pki.token });
    assert.equal(anonymous.status, undefined, `refused: ${JSON.stringify(anonymous)}`);
  }
  const valid = await post(mtlsGateway.otlpUrl, { ca, token: pki.token, cert: read(pki.clientCert), key: read(pki.clientKey) });
  assert.equal(valid.status, 200);
  const wrongToken = await post(mtlsGateway.otlpUrl, { ca, token: 'not-the-token', cert: read(pki.clientCert), key: read(pki.clientKey) });
  assert.equal(wrongToken.status, 401, 'a valid certificate does not replace the token');
  // Handshake failures happen before any handler, so no metric sees them; the collector logs each.
  const log = await handshakeErrors(mtlsGateway, 2 * tries);
  assert.equal(log.filter((l) => /certificate has expired/.test(l)).length, tries, log.join('\n'));
  assert.equal(log.filter((l) => /didn't provide a certificate/.test(l)).length, tries, log.join('\n'));
  const m = await mtlsGateway.metrics();
  assert.equal(refusedWith(m, 401), 1);
  assert.equal(refusedWith(m, 200), 1);
});

test('the right senders get through: the SDK straight to a gateway, an agent with its token in a file (and mutual TLS)', async (t) => {
  // SDK -> gateway over TLS with the token header; OTEL_EXPORTER_OTLP_CERTIFICATE trusts the test CA.
  const sdk = await startSpanLoad({
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: gateway.otlpUrl,
      OTEL_EXPORTER_OTLP_HEADERS: `Authorization=Bearer%20${pki.token}`,
      OTEL_EXPORTER_OTLP_CERTIFICATE: pki.caFile,
      OTEL_SERVICE_NAME: 'security-sdk',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
  });
  // An agent (token from a file, client certificate) -> the mutual-TLS gateway; an app -> the agent.
  const agent = await startAgent({ name: 'agent-good', pki, gatewayUrl: mtlsGateway.otlpUrl, storageDir: path.join(work, 'good'), clientCert: true });
  const app = await startSpanLoad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: agent.otlpUrl, OTEL_SERVICE_NAME: 'security-agent', OTEL_BSP_SCHEDULE_DELAY: '100' } });
  // An agent with a wrong token in its variable: the gateway refuses it, both sides count it.
  const badAgent = await startAgent({
    name: 'agent-wrong-token',
    pki,
    gatewayUrl: gateway.otlpUrl,
    storageDir: path.join(work, 'bad'),
    extraEnv: { OTELCOL_GATEWAY_TOKEN_FILE: '', OTELCOL_GATEWAY_TOKEN: 'not-the-token' },
  });
  const badApp = await startSpanLoad({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: badAgent.otlpUrl, OTEL_SERVICE_NAME: 'security-bad', OTEL_BSP_SCHEDULE_DELAY: '100' } });
  try {
    const before401 = refusedWith(await gateway.metrics(), 401);
    await Promise.all([sdk.send('sdk-direct', 20, 200), app.send('via-agent', 20, 200), badApp.send('wrong-token', 20, 200)]);
    await intake.waitFor(() => runCounts(intake.spans(), 'sdk-direct').unique === 20 && runCounts(intake.spans(), 'via-agent').unique === 20, 30_000, 'spans of the right senders');
    // The agent sends the batch once, is refused (401 is not worth retrying) and drops it, counted.
    const badMetrics = await waitForMetrics(badAgent, (m) => metricSum(m, 'otelcol_exporter_send_failed_spans') > 0, { what: 'the refused batch' });
    assert.equal(metricSum(badMetrics, 'otelcol_exporter_send_failed_spans', { exporter: 'otlp_http/gateway' }), 20);
    assert.equal(metricSum(badMetrics, 'otelcol_exporter_sent_spans', { exporter: 'otlp_http/gateway' }), 0);
    assert.equal(refusedWith(await gateway.metrics(), 401) - before401, 1, 'one refused request');
    assert.match(badAgent.log(), /401/);
    assert.equal(runCounts(intake.spans(), 'wrong-token').copies, 0);
    assert.equal(metricSum(await gateway.metrics(), 'otelcol_receiver_accepted_spans'), 20);
    assert.equal(metricSum(await mtlsGateway.metrics(), 'otelcol_receiver_accepted_spans'), 20);
    assert.equal((agent.log() + badAgent.log() + gateway.log() + mtlsGateway.log()).includes(pki.token), false, 'the token never appears in a collector log');
    t.diagnostic('SDK -> gateway: 20/20; agent (token file, client certificate) -> gateway: 20/20; agent with a wrong token: 20 refused (401), counted by both');
  } finally {
    for (const p of [sdk, app, badApp]) await p.stop();
    await agent.dispose();
    await badAgent.dispose();
  }
});

/** Polls `fn` (async) until it resolves truthy; rejects after `timeoutMs`. */
async function eventually(fn, what, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test("a gateway's tokens rotate without a restart: it re-reads its token file (one token per line)", async () => {
  const ca = read(pki.caFile);
  const tokenFile = path.join(work, 'rotating-token');
  const [oldToken, newToken] = ['old-' + Math.random().toString(36).slice(2), 'new-' + Math.random().toString(36).slice(2)];
  fs.writeFileSync(tokenFile, `${oldToken}\n`, { mode: 0o600 });
  const rotating = await startGateway({ name: 'gateway-rotating', pki, intakeUrl: intake.url, extraEnv: { OTELCOL_GATEWAY_TOKEN_FILE: tokenFile } });
  try {
    assert.equal((await post(rotating.otlpUrl, { ca, token: oldToken })).status, 200);
    assert.equal((await post(rotating.otlpUrl, { ca, token: newToken })).status, 401);
    // Step 1: both accepted while the senders move to the new one.
    fs.writeFileSync(tokenFile, `${oldToken}\n${newToken}  # added for the rotation\n`);
    await eventually(async () => (await post(rotating.otlpUrl, { ca, token: newToken })).status === 200, 'the new token accepted');
    assert.equal((await post(rotating.otlpUrl, { ca, token: oldToken })).status, 200);
    // Step 2: the old one removed.
    fs.writeFileSync(tokenFile, `${newToken}\n`);
    await eventually(async () => (await post(rotating.otlpUrl, { ca, token: oldToken })).status === 401, 'the old token refused');
    assert.equal((await post(rotating.otlpUrl, { ca, token: newToken })).status, 200);
    assert.equal(rotating.running(), true);
  } finally {
    await rotating.dispose();
  }
});

/** Listening TCP sockets of `pid` in its network namespace: ["127.0.0.1:4317", ...]. */
function listeners(pid) {
  const out = [];
  for (const [file, v6] of [
    ['tcp', false],
    ['tcp6', true],
  ]) {
    let text;
    try {
      text = fs.readFileSync(`/proc/${pid}/net/${file}`, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length < 4 || f[3] !== '0A') continue; // 0A = LISTEN
      const [hexAddr, hexPort] = f[1].split(':');
      const port = parseInt(hexPort, 16);
      let addr;
      if (!v6)
        addr = hexAddr
          .match(/../g)
          .reverse()
          .map((b) => parseInt(b, 16))
          .join('.');
      else addr = hexAddr === '00000000000000000000000001000000' ? '::1' : hexAddr === '00000000000000000000000000000000' ? '::' : `v6:${hexAddr}`;
      out.push(`${addr}:${port}`);
    }
  }
  return [...new Set(out)].sort();
}

/** Starts the collector with `configs` and exactly `env` in a network namespace of its own (default ports free). */
function startIsolated(configs, env) {
  const unshareArgs = process.getuid?.() === 0 ? ['--net'] : ['--net', '--map-root-user'];
  const child = spawn(
    'unshare',
    [...unshareArgs, 'sh', '-c', 'ip link set lo up 2>/dev/null; exec "$0" "$@"', collectorBinary(), ...configs.flatMap((c) => ['--config', c]), STATS_GATE],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  const exited = new Promise((resolve) => child.on('close', resolve));
  return {
    child,
    log: () => log,
    stop: async () => {
      child.kill('SIGKILL');
      await exited;
    },
  };
}

test('every shipped config listens on localhost only when nothing in the environment says otherwise', async (t) => {
  // Only what each config needs to start at all; no *_ENDPOINT / *_HOST override.
  const base = { PATH: process.env.PATH, HOME: process.env.HOME, DD_API_KEY: '0123456789abcdef0123456789abcdef', DD_HOSTNAME: 'bind-test' };
  const gatewayNeeds = { OTELCOL_TLS_CERT_FILE: pki.serverCert, OTELCOL_TLS_KEY_FILE: pki.serverKey, OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile };
  const cases = [
    { name: 'collector.yaml', configs: [shippedConfig], env: base, ports: [4317, 4318, 13133] },
    {
      name: 'agent.yaml',
      configs: [agentConfig],
      env: { ...base, OTELCOL_GATEWAY_ENDPOINT: 'https://gateway.internal:4318', OTELCOL_GATEWAY_TOKEN_FILE: pki.tokenFile, OTELCOL_STORAGE_DIR: path.join(work, 'bind-agent') },
      ports: [4317, 4318, 8888, 13133],
    },
    { name: 'gateway.yaml', configs: [gatewayConfig], env: { ...base, ...gatewayNeeds }, ports: [4317, 4318, 8888, 13133] },
    {
      name: 'gateway.yaml + gateway-xray.yaml',
      configs: [gatewayConfig, gatewayXrayConfig],
      env: { ...base, ...gatewayNeeds, AWS_REGION: 'eu-west-1', ...TEST_AWS_CREDENTIALS },
      ports: [4317, 4318, 8888, 13133],
    },
  ];
  for (const c of cases) {
    const collector = startIsolated(c.configs, c.env);
    try {
      const expected = c.ports.map((p) => `127.0.0.1:${p}`).sort();
      const ownNs = fs.readlinkSync('/proc/self/ns/net');
      const seen = await waitUntil(
        () => {
          if (fs.readlinkSync(`/proc/${collector.child.pid}/ns/net`) === ownNs) return undefined; // not unshared yet
          const now = listeners(collector.child.pid);
          return c.ports.every((p) => now.some((l) => l.endsWith(`:${p}`))) ? now : undefined;
        },
        { timeoutMs: 20_000, what: `${c.name} listening`, seen: () => `${listeners(collector.child.pid).join(', ')}\n${collector.log()}` },
      );
      assert.deepEqual(seen, expected, c.name);
      t.diagnostic(`${c.name}: ${seen.join(', ')}`);
    } finally {
      await collector.stop();
    }
  }
  // The gateway's refusal to start without TLS material or a token: collector-tiers.test.mjs.
});
