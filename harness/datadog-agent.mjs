// A Datadog Agent double for dd-trace on 127.0.0.1: accepts the trace payloads
// dd-trace sends (msgpack, /v0.4/traces) and decodes them into spans.
import { execFileSync } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import { decode } from '@msgpack/msgpack';
import { cleanEnv, fixtures, repoRoot, startNode } from './processes.mjs';
import { waitUntil } from './wait.mjs';
import { listenOnLoopback } from './loopback.mjs';

export async function startDatadogAgent() {
  const spans = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const path = req.url.split('?')[0];
      if (/^\/v0\.[45]\/traces$/.test(path) && chunks.length > 0) {
        try {
          const traces = decode(Buffer.concat(chunks), { useBigInt64: true });
          for (const trace of traces) for (const span of trace) spans.push(span);
        } catch {
          // not a trace payload we understand: ignored
        }
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"rate_by_service":{}}');
        return;
      }
      res.writeHead(path === '/info' ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    });
  });
  const listening = await listenOnLoopback(server);
  const url = listening.url;
  return {
    url,
    spans,
    waitFor(predicate, timeoutMs = 20_000) {
      return waitUntil(() => predicate(spans), {
        timeoutMs,
        what: 'dd-trace spans',
        seen: () => `have ${JSON.stringify(spans.map((s) => [s.service, s.name]))}`,
      });
    },
    close: listening.close,
  };
}

/** Environment for a dd-trace process that talks only to the agent double. */
export function ddTraceEnv(agentUrl, extra = {}) {
  return {
    DD_TRACE_AGENT_URL: agentUrl,
    DD_REMOTE_CONFIGURATION_ENABLED: 'false',
    DD_INSTRUMENTATION_TELEMETRY_ENABLED: 'false',
    DD_TRACE_STARTUP_LOGS: 'false',
    DD_RUNTIME_METRICS_ENABLED: 'false',
    DD_PROFILING_ENABLED: 'false',
    DD_APPSEC_ENABLED: 'false',
    DD_DATA_STREAMS_ENABLED: 'false',
    DD_CRASHTRACKING_ENABLED: 'false',
    DD_DOGSTATSD_HOSTNAME: '127.0.0.1',
    DD_TRACE_FLUSH_INTERVAL: '100',
    ...extra,
  };
}

/** The Node binary a dd-trace major runs on: dd-trace 6 needs Node >= 22 (scripts/install-node.sh). */
export function nodeForDdTrace(module) {
  if (module !== 'dd-trace-6' || Number(process.versions.node.split('.')[0]) >= 22) return process.execPath;
  return execFileSync('bash', [path.join(repoRoot, 'scripts', 'install-node.sh'), '24'], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .at(-1);
}

/**
 * The headers a live dd-trace (`module`: 'dd-trace' = 5.x, 'dd-trace-6' = 6.x) sends on an
 * outgoing request of test/fixtures/http-service.cjs, captured by a local sink: what a dd-trace
 * host puts on a request to API Gateway, an SQS message or an invoke. `env` adds dd-trace
 * settings (e.g. DD_TRACE_SAMPLE_RATE: '0' for a rejected trace).
 */
export async function recordDdTraceHeaders({ agentUrl, module = 'dd-trace', env = {}, service = 'recorder' }) {
  let captured;
  const sink = http.createServer((req, res) => {
    captured = req.headers;
    res.end('{}');
  });
  await new Promise((r) => sink.listen(0, '127.0.0.1', r));
  try {
    const dd = await startNode(['--require', `${module}/init`, path.join(fixtures, 'http-service.cjs')], {
      node: nodeForDdTrace(module),
      env: cleanEnv(ddTraceEnv(agentUrl, { DD_SERVICE: service, DOWNSTREAM_URL: `http://127.0.0.1:${sink.address().port}/`, ...env })),
    });
    try {
      await fetch(`http://127.0.0.1:${dd.match[1]}/call`);
    } finally {
      await dd.stop();
    }
    return captured;
  } finally {
    await new Promise((r) => sink.close(r));
  }
}
