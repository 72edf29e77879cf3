// A Datadog intake double on 127.0.0.1: answers the calls the collector's datadog
// exporter makes and decodes the real payloads (gzip protobuf AgentPayload for
// traces, gzip msgpack StatsPayload for APM stats) into what Datadog would see.
import http from 'node:http';
import zlib from 'node:zlib';
import { decode as decodeMsgpack } from '@msgpack/msgpack';
import { decode } from './protobuf-wire.mjs';
import { waitUntil } from './wait.mjs';
import { listenOnLoopback } from './loopback.mjs';

const SpanLink = { 1: ['traceID', 'uint64'], 2: ['traceIDHigh', 'uint64'], 3: ['spanID', 'uint64'], 4: ['attributes', ['map', 'string']] };
const Span = {
  1: ['service', 'string'],
  2: ['name', 'string'],
  3: ['resource', 'string'],
  4: ['traceID', 'uint64'],
  5: ['spanID', 'uint64'],
  6: ['parentID', 'uint64'],
  7: ['start', 'int64'],
  8: ['duration', 'int64'],
  9: ['error', 'int32'],
  10: ['meta', ['map', 'string']],
  11: ['metrics', ['map', 'double']],
  12: ['type', 'string'],
  14: ['spanLinks', SpanLink, true],
};
const TraceChunk = { 1: ['priority', 'int32'], 2: ['origin', 'string'], 3: ['spans', Span, true], 4: ['tags', ['map', 'string']], 5: ['droppedTrace', 'bool'] };
const TracerPayload = {
  1: ['containerID', 'string'],
  2: ['languageName', 'string'],
  3: ['languageVersion', 'string'],
  4: ['tracerVersion', 'string'],
  5: ['runtimeID', 'string'],
  6: ['chunks', TraceChunk, true],
  7: ['tags', ['map', 'string']],
  8: ['env', 'string'],
  9: ['hostname', 'string'],
  10: ['appVersion', 'string'],
};
const AgentPayload = {
  1: ['hostName', 'string'],
  2: ['env', 'string'],
  5: ['tracerPayloads', TracerPayload, true],
  6: ['tags', ['map', 'string']],
  7: ['agentVersion', 'string'],
  8: ['targetTPS', 'double'],
  9: ['errorTPS', 'double'],
  10: ['rareSamplerEnabled', 'bool'],
  11: ['idxTracerPayloads', 'bytes', true],
};

export function decodeAgentPayload(buf) {
  return decode(buf, AgentPayload);
}

export async function startDatadogIntake() {
  const calls = [];
  const agentPayloads = [];
  const statsPayloads = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      const path = req.url.split('?')[0];
      calls.push({ method: req.method, path, headers: req.headers, size: body.length });
      try {
        if (req.headers['content-encoding'] === 'gzip') body = zlib.gunzipSync(body);
        else if (req.headers['content-encoding'] === 'deflate') body = zlib.inflateSync(body);
        if (path === '/api/v0.2/traces') agentPayloads.push(decodeAgentPayload(body));
        else if (path === '/api/v0.2/stats') statsPayloads.push(decodeMsgpack(body, { useBigInt64: true }));
      } catch (error) {
        calls.at(-1).decodeError = String(error);
      }
      if (path === '/api/v1/validate') {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"valid":true}');
      } else {
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{}');
      }
    });
  });
  const listening = await listenOnLoopback(server);
  const url = listening.url;

  /** Every span Datadog would show, with the payload-level env/version/hostname next to it. */
  const spans = () =>
    agentPayloads.flatMap((p) =>
      p.tracerPayloads.flatMap((tp) =>
        tp.chunks.flatMap((chunk) =>
          chunk.spans.map((span) => ({ ...span, payloadEnv: tp.env, appVersion: tp.appVersion, hostname: tp.hostname || p.hostName, priority: chunk.priority })),
        ),
      ),
    );
  const stats = () =>
    statsPayloads.flatMap((p) =>
      (p.Stats ?? []).flatMap((client) =>
        (client.Stats ?? []).flatMap((bucket) => (bucket.Stats ?? []).map((group) => ({ ...group, Env: client.Env, Version: client.Version, Hostname: client.Hostname }))),
      ),
    );

  return {
    url,
    calls,
    agentPayloads,
    statsPayloads,
    spans,
    stats,
    waitFor(predicate, timeoutMs = 30_000, what = 'intake data') {
      return waitUntil(predicate, {
        timeoutMs,
        what,
        seen: () => `calls so far: ${calls.map((c) => `${c.method} ${c.path}${c.decodeError ? ` (${c.decodeError})` : ''}`).join(', ')}`,
      });
    },
    /** Resolves the spans matching `predicate` once there are `count` of them (the caller asserts the exact count). */
    waitForSpans(predicate, count, what) {
      return this.waitFor(
        () => {
          const found = spans().filter(predicate);
          return found.length >= count ? found : undefined;
        },
        30_000,
        what,
      );
    },
    close: listening.close,
  };
}
