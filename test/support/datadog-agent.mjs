// A Datadog Agent double for dd-trace on 127.0.0.1: accepts the trace payloads
// dd-trace sends (msgpack, /v0.4/traces) and decodes them into spans.
import http from 'node:http';
import { decode } from '@msgpack/msgpack';
import { waitUntil } from './wait.mjs';

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
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
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
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
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
