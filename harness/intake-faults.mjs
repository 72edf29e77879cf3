// A switchable fault in front of the Datadog intake double (datadog-intake.mjs): while a
// fault is on, every trace, stats and metrics call is answered with its status (503, 429...)
// and its body kept; otherwise calls pass through to the double unchanged. Afterwards it
// tells which refused payloads were never delivered by a later attempt (identical bytes:
// the datadog exporter sends the same buffer again), and decodes them, so a test can say
// exactly which spans and which APM stats were dropped, and by whom.
import crypto from 'node:crypto';
import http from 'node:http';
import zlib from 'node:zlib';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { decodeAgentPayload } from './datadog-intake.mjs';
import { listenOnLoopback } from './loopback.mjs';

function inflate(body, encoding) {
  if (encoding === 'gzip') return zlib.gunzipSync(body);
  if (encoding === 'deflate') return zlib.inflateSync(body);
  return body;
}

/** The spans of one AgentPayload, with the sending gateway's hostname. */
export function agentPayloadSpans(payload) {
  return payload.tracerPayloads.flatMap((tp) => tp.chunks.flatMap((chunk) => chunk.spans.map((span) => ({ ...span, gateway: payload.hostName }))));
}

/** The stats groups of one StatsPayload (msgpack-decoded). */
export function statsPayloadGroups(payload) {
  return (payload.Stats ?? []).flatMap((client) => (client.Stats ?? []).flatMap((bucket) => (bucket.Stats ?? []).map((group) => ({ ...group, Hostname: client.Hostname }))));
}

export async function startIntakeFaults(intakeUrl) {
  const target = new URL(intakeUrl);
  let fault = null;
  /** hash -> { path, attempts, encoding, body } for every refused body */
  const refused = new Map();
  const delivered = new Set();
  const counts = { refused: 0, passed: 0 };

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const path = req.url.split('?')[0];
      const hash = crypto.createHash('sha256').update(path).update('\0').update(body).digest('hex');
      if (fault !== null && path !== '/api/v1/validate') {
        counts.refused++;
        const seen = refused.get(hash) ?? { path, attempts: 0, encoding: req.headers['content-encoding'], body };
        seen.attempts++;
        refused.set(hash, seen);
        res.writeHead(fault, { 'content-type': 'application/json' });
        res.end('{"errors":["injected by the test"]}');
        return;
      }
      counts.passed++;
      const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      const forward = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (upstream) => {
        const back = [];
        upstream.on('data', (c) => back.push(c));
        upstream.on('end', () => {
          if (upstream.statusCode >= 200 && upstream.statusCode < 300) delivered.add(hash);
          res.writeHead(upstream.statusCode, upstream.headers);
          res.end(Buffer.concat(back));
        });
      });
      forward.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      forward.end(body);
    });
  });
  const listening = await listenOnLoopback(server);

  /** Refused bodies of `path` that no later attempt delivered, decoded. */
  const dropped = (path) =>
    [...refused.entries()]
      .filter(([hash, r]) => r.path === path && !delivered.has(hash))
      .map(([hash, r]) => {
        const raw = inflate(r.body, r.encoding);
        const decoded = path === '/api/v0.2/traces' ? decodeAgentPayload(raw) : decodeMsgpack(raw, { useBigInt64: true });
        return { hash, attempts: r.attempts, decoded };
      });

  return {
    url: listening.url,
    counts,
    /** Answer every call with `status` from now on (null: pass through again). */
    setFault(status) {
      fault = status;
    },
    /** Trace payloads refused and never delivered: [{ hash, attempts, spans }]. */
    droppedTracePayloads: () => dropped('/api/v0.2/traces').map((p) => ({ ...p, spans: agentPayloadSpans(p.decoded) })),
    /** Stats payloads refused and never delivered: [{ hash, attempts, groups }]. */
    droppedStatsPayloads: () => dropped('/api/v0.2/stats').map((p) => ({ ...p, groups: statsPayloadGroups(p.decoded) })),
    /** Refused calls per path (every attempt). */
    refusedAttempts: (path) => [...refused.values()].filter((r) => r.path === path).reduce((n, r) => n + r.attempts, 0),
    close: listening.close,
  };
}
