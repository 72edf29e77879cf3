// A local OTLP/HTTP trace receiver (protobuf or JSON): what the SDK sends, decoded into flat span records.
import http from 'node:http';
import { decodeOtlpTraces } from './otlp-protobuf.mjs';
import { waitUntil } from './wait.mjs';
import { listenOnLoopback } from './loopback.mjs';

/**
 * behaviour: 'ok' (200), 'hang' (read the request, never answer), 'garbage' (tear the
 * connection down mid-response), a status code, or { status, headers, delayMs } to answer with
 * (after delayMs, when given).
 * setBehaviour() changes it while running.
 */
export async function startOtlpReceiver({ behaviour: initial = 'ok', port: wantedPort = 0 } = {}) {
  let behaviour = initial;
  const spans = [];
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const protobuf = req.headers['content-type'] === 'application/x-protobuf';
      const body = raw.toString('utf8');
      requests.push({ url: req.url, headers: req.headers, body });
      const receivedAt = Date.now();
      try {
        const decoded = protobuf ? decodeOtlpTraces(raw) : JSON.parse(body);
        for (const span of flattenOtlpJson(decoded)) spans.push({ ...span, receivedAt });
      } catch {
        // Neither: recorded in requests, no spans.
      }
      if (behaviour === 'hang') return;
      if (behaviour === 'garbage') {
        res.socket.end('HTTP/1.1 2\r\n\x00\x01garbage');
        return;
      }
      const { status, headers = {}, delayMs = 0 } = typeof behaviour === 'object' ? behaviour : { status: behaviour === 'ok' ? 200 : behaviour };
      // An empty ExportTraceServiceResponse, in the request's encoding.
      const answer = () => {
        res.writeHead(status, { 'content-type': protobuf ? 'application/x-protobuf' : 'application/json', ...headers });
        res.end(protobuf ? '' : '{}');
      };
      if (delayMs > 0) setTimeout(answer, delayMs);
      else answer();
    });
  });
  const { port, url, close } = await listenOnLoopback(server, wantedPort);
  return {
    port,
    url,
    spans,
    requests,
    setBehaviour(b) {
      behaviour = b;
    },
    /** Resolves with the spans once predicate(spans) is true; rejects after timeoutMs. */
    waitFor(predicate, timeoutMs = 10_000) {
      return waitUntil(() => predicate(spans) && spans, {
        timeoutMs,
        what: 'spans',
        seen: () => `have ${spans.length}: ${spans.map((s) => s.name).join(', ')}`,
      });
    },
    close,
  };
}

export function attributeMap(list = []) {
  const out = {};
  for (const { key, value } of list) out[key] = value.stringValue ?? value.intValue ?? value.boolValue ?? value.doubleValue ?? value.arrayValue;
  return out;
}

export function flattenOtlpJson(body) {
  const out = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributeMap(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          name: s.name,
          kind: s.kind,
          traceId: s.traceId,
          spanId: s.spanId,
          parentSpanId: s.parentSpanId || undefined,
          attributes: attributeMap(s.attributes),
          status: s.status,
          events: s.events ?? [],
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId, traceState: l.traceState || undefined, attributes: attributeMap(l.attributes) })),
          durationMs: (Number(s.endTimeUnixNano) - Number(s.startTimeUnixNano)) / 1e6,
          scope: ss.scope?.name,
          resource,
        });
      }
    }
  }
  return out;
}
