/**
 * One OTLP/HTTP request and nothing more: no retry loop. The stock exporter
 * retries a refused connection for up to its whole timeout, which inside a
 * Lambda invocation means the flush spends its whole budget on a receiver that
 * said "no" in well under a millisecond. Whether and when to try again is the
 * receiver gate's decision (receiver-gate.ts); this module only reports what
 * happened, classified so the gate can name the fix.
 *
 * Headers, compression and timeout come from the OTLP exporter's own
 * configuration reader (OTEL_EXPORTER_OTLP_HEADERS, OTEL_EXPORTER_OTLP_COMPRESSION,
 * OTEL_EXPORTER_OTLP_TIMEOUT and their TRACES forms), so they mean exactly
 * what they mean to the stock exporter.
 */
import type * as http from 'node:http';
import type * as net from 'node:net';
import { readFileSync } from 'node:fs';
import type * as zlib from 'node:zlib';
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { convertLegacyHttpOptions } from '@opentelemetry/otlp-exporter-base/node-http';
import type { OtlpProtocol } from '../config/resolved-config';
import { log } from '../config/diagnostics';
import { DISTRIBUTION_NAME, DISTRIBUTION_VERSION } from '../version';
import { PlainHttpPoster, writableHeaders, type PostOutcome } from './plain-http-post';

/** Why a request failed, as far as what to do about it goes. */
export type FailureKind =
  /** Nothing listens, the name does not resolve, or the connection was cut: known at once. */
  | 'unreachable'
  /** The request got no answer within its timeout. */
  | 'timeout'
  /** The receiver answered that it cannot take spans now (429, 502, 503, 504): worth sending again later. */
  | 'unavailable'
  /** The receiver refused these spans (any other HTTP error): sending them again would fail again. */
  | 'rejected';

export type SendOutcome = { ok: true; ms: number } | { ok: false; ms: number; kind: FailureKind; detail: string };

export interface OtlpTransport {
  /**
   * Posts one encoded request; resolves with what happened, never rejects.
   * `background`: the request may not keep the process alive. `onWritten`:
   * called once the request has been handed to the operating system (or has
   * failed before that), ahead of the answer.
   */
  send(body: Uint8Array, background: boolean, onWritten?: () => void): Promise<SendOutcome>;
  /**
   * Loads what the first request needs (HTTP modules, agent, headers), so the
   * first flush does not pay for it; with `probe` (an export request holding no
   * spans), also sends it, in the background and whatever its outcome, which
   * runs the request path once and leaves a kept-alive connection for the first flush.
   */
  warmUp(probe?: Uint8Array): Promise<void>;
  /** Destroys every socket; requests in flight fail at once. */
  close(): void;
}

// Codes Node gives when a connection cannot be made or was cut before an answer.
const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ECONNABORTED']);
// What the OTLP specification says a client may retry.
const RETRYABLE_STATUS = new Set([429, 502, 503, 504]);
// A larger answer is not an OTLP response; stop reading it.
const MAX_RESPONSE_BYTES = 64 * 1024;

/**
 * node:http or node:https for our own requests, without passing Module._load:
 * a require of it there is what switches the http instrumentation on, which a
 * function that makes no HTTP calls of its own would then load (~17 ms of its
 * first invocation) only for our export, whose requests are never traced
 * anyway. `request` is kept as it is now, before any instrumentation wraps it.
 */
function httpModule(scheme: string): typeof http {
  return builtin(scheme === 'https:' ? 'node:https' : 'node:http') as typeof http;
}

function builtin(name: string): unknown {
  const getBuiltin = (process as { getBuiltinModule?: (id: string) => unknown }).getBuiltinModule;
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- Node < 20.16 has no getBuiltinModule
  return typeof getBuiltin === 'function' ? getBuiltin(name) : require(name);
}

/**
 * Plain-http receivers (the Datadog Lambda Extension, a collector) get our own
 * POST over kept-alive sockets (plain-http-post.ts); https, and a Node told to
 * use a proxy from the environment, get node:http's client.
 */
function plainPoster(target: URL): PlainHttpPoster | undefined {
  if (target.protocol !== 'http:' || process.env.NODE_USE_ENV_PROXY) return undefined;
  const { connect } = builtin('node:net') as typeof net;
  return new PlainHttpPoster({ host: target.hostname, port: Number(target.port || 80), path: `${target.pathname}${target.search}` }, (port, host) => connect(port, host));
}

type Attempted = SendOutcome & { reused?: boolean };

/** What an answer's status means, through either client. */
function answered(status: number, started: number): Attempted {
  const ms = Date.now() - started;
  if (status >= 200 && status < 300) return { ok: true, ms };
  return { ok: false, ms, kind: RETRYABLE_STATUS.has(status) ? 'unavailable' : 'rejected', detail: `HTTP ${status}` };
}

function timedOut(started: number, timeoutMs: number): Attempted {
  return { ok: false, ms: Date.now() - started, kind: 'timeout', detail: `no answer within ${timeoutMs} ms` };
}

/** A connection that failed before an answer: Node's error code, else its message. */
function failed(started: number, code: string | undefined, message: string, reused: boolean | undefined): Attempted {
  const kind: FailureKind = (code !== undefined && UNREACHABLE.has(code)) || message === 'socket hang up' ? 'unreachable' : 'rejected';
  return { ok: false, ms: Date.now() - started, kind, detail: code ?? message, reused };
}

function outcomeOf(posted: PostOutcome, started: number, timeoutMs: number): Attempted {
  if ('status' in posted) return answered(posted.status, started);
  if ('timeout' in posted) return timedOut(started, timeoutMs);
  return failed(started, posted.code, posted.message, posted.reused);
}

/** PEM files for an https receiver (OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY). */
export interface TlsFiles {
  ca?: string;
  cert?: string;
  key?: string;
}

/** The files' contents; one that cannot be read gives one warning and is left out (the connection then says why it fails). */
function readTlsFiles(files: TlsFiles): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const out: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  const variables = { ca: 'OTEL_EXPORTER_OTLP_CERTIFICATE', cert: 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', key: 'OTEL_EXPORTER_OTLP_CLIENT_KEY' } as const;
  for (const field of ['ca', 'cert', 'key'] as const) {
    const file = files[field];
    if (file === undefined) continue;
    try {
      out[field] = readFileSync(file);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      // The key's path is not printed.
      log.warn(`${variables[field]}: ${field === 'key' ? 'the file' : file} could not be read (${typeof code === 'string' ? code : String(error)}); it is not used`);
    }
  }
  return out;
}

// Loaded at first use: only a gzip configuration needs it (~2 ms of start-up otherwise).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const gzip = (): typeof zlib.gzipSync => (require('node:zlib') as typeof zlib).gzipSync;

export function createOtlpTransport(url: string, protocol: OtlpProtocol, tls: TlsFiles = {}): OtlpTransport {
  const agents: http.Agent[] = [];
  const options = convertLegacyHttpOptions(
    {
      url,
      httpAgentOptions: (scheme: string) => {
        const agent = new (httpModule(scheme).Agent)(scheme === 'https:' ? { keepAlive: true, ...readTlsFiles(tls) } : { keepAlive: true });
        agents.push(agent);
        return agent;
      },
      userAgent: `${DISTRIBUTION_NAME}/${DISTRIBUTION_VERSION}`,
    },
    'TRACES',
    'v1/traces',
    { 'Content-Type': protocol === 'http/json' ? 'application/json' : 'application/x-protobuf' },
  );
  const target = new URL(options.url);
  // Taken now, before an instrumentation built later (the application's first
  // require of http) wraps it: read after an await, it could be the wrapped one.
  const request = httpModule(target.protocol).request;
  const poster = plainPoster(target);
  let transport: { agent: http.Agent; request: typeof http.request } | undefined;
  const load = async (): Promise<{ agent: http.Agent; request: typeof http.request }> => {
    if (transport === undefined) {
      const agent = (await options.agentFactory(target.protocol)) as http.Agent;
      transport = { agent, request };
    }
    return transport;
  };

  const attempt = async (body: Uint8Array, background: boolean, started: number, onWritten: () => void): Promise<Attempted> => {
    const headers: Record<string, string> = { ...(await options.headers()) };
    let payload: Uint8Array = body;
    if (options.compression === 'gzip') {
      payload = gzip()(body);
      headers['Content-Encoding'] = 'gzip';
    }
    headers['Content-Length'] = String(payload.byteLength);
    headers['User-Agent'] = options.userAgent ?? DISTRIBUTION_NAME;
    if (poster !== undefined && writableHeaders(headers)) {
      const posted = await poster.post({ headers, body: payload, timeoutMs: options.timeoutMillis, background, onWritten, maxResponseBytes: MAX_RESPONSE_BYTES });
      return outcomeOf(posted, started, options.timeoutMillis);
    }
    const { agent, request } = await load();
    return new Promise((resolve) => {
      let done = false;
      const finish = (outcome: Attempted): void => {
        if (done) return;
        done = true;
        onWritten();
        resolve(outcome);
      };
      // Suppressed as well: should a wrapped request be reached anyway, it makes no span of our own export.
      const req = context.with(suppressTracing(context.active()), () =>
        request(target, { method: 'POST', headers, agent }, (res) => {
          let read = 0;
          res.on('data', (chunk: Buffer) => {
            read += chunk.length;
            if (read > MAX_RESPONSE_BYTES) res.destroy();
          });
          const settle = (): void => finish(answered(res.statusCode ?? 0, started));
          res.on('end', settle);
          res.on('close', settle);
          res.on('error', settle);
        }),
      );
      if (background) req.on('socket', (socket) => socket.unref());
      req.on('finish', onWritten);
      req.setTimeout(options.timeoutMillis, () => {
        req.destroy();
        finish(timedOut(started, options.timeoutMillis));
      });
      req.on('error', (error: Error & { code?: unknown }) => {
        finish(failed(started, typeof error.code === 'string' ? error.code : undefined, error.message, req.reusedSocket));
      });
      req.end(payload);
    });
  };

  return {
    async send(body, background, onWritten) {
      const started = Date.now();
      let told = false;
      const written = (): void => {
        if (told) return;
        told = true;
        onWritten?.();
      };
      try {
        const first = await attempt(body, background, started, written);
        // A kept-alive socket the receiver closed while we were idle (or frozen,
        // in Lambda) fails at once: one new connection, not a retry loop.
        if (!first.ok && first.kind === 'unreachable' && first.reused === true) return await attempt(body, background, started, written);
        return first;
      } catch (error) {
        written();
        return { ok: false, ms: Date.now() - started, kind: 'rejected', detail: error instanceof Error ? error.message : String(error) };
      }
    },
    async warmUp(probe) {
      try {
        if (poster === undefined) await load();
        await options.headers();
        if (options.compression === 'gzip') gzip();
        // Its outcome is not the receiver's health: the first flush reports that.
        if (probe !== undefined) await this.send(probe, true);
      } catch {
        // The first request reports it.
      }
    },
    close() {
      for (const agent of agents) agent.destroy();
      poster?.close();
    },
  };
}
