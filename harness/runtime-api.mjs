// A Lambda Runtime API (2018-06-01) of our own on 127.0.0.1, for driving AWS's real
// runtime interface client (aws-lambda-ric) in tests. It does what the Lambda service's
// side of the API does for a runtime process:
//   GET  /2018-06-01/runtime/invocation/next          long-poll: held until an invocation is queued
//   POST /2018-06-01/runtime/invocation/{id}/response the handler's result (buffered or streamed)
//   POST /2018-06-01/runtime/invocation/{id}/error    the handler's error
//   POST /2018-06-01/runtime/init/error               the runtime could not initialise
// Several runtime clients may poll at once (Lambda Managed Instances: one process runs
// several invocations concurrently); each queued invocation goes to the longest-waiting poll.
import http from 'node:http';
import { randomUUID } from 'node:crypto';
import { waitUntil } from './wait.mjs';

const PREFIX = '/2018-06-01/runtime';

/**
 * Starts the server. Options:
 *   functionArn       Lambda-Runtime-Invoked-Function-Arn for every invocation (default below)
 *   defaultTimeoutMs  deadline = delivery time + this, when an invocation gives no deadlineMs
 * Returns the API object documented on `api` below.
 */
export async function startRuntimeApi({ functionArn = 'arn:aws:lambda:us-east-1:123456789012:function:ric-test', defaultTimeoutMs = 30_000 } = {}) {
  const queue = []; // invocations waiting for a poll
  const pollers = []; // parked GET /next responses, oldest first
  const inFlight = new Map(); // requestId -> invocation delivered, not yet answered
  const requests = []; // every request: { method, path, headers, body, at }
  const stray = []; // responses/errors for unknown or already-answered request ids
  let initErrorRecord = null;
  let resolveInitError;
  const initError = new Promise((resolve) => (resolveInitError = resolve));
  let closed = false;
  let terminated = null; // { status, extra } once the runtime process is gone

  function settle(inv, result) {
    inFlight.delete(inv.requestId);
    const i = queue.indexOf(inv);
    if (i >= 0) queue.splice(i, 1);
    inv.resolve({ requestId: inv.requestId, deliveredAt: inv.deliveredAt ?? null, ...result });
  }

  function deliver(inv, res) {
    inv.deliveredAt = Date.now();
    const deadline = inv.deadlineMs ?? inv.deliveredAt + (inv.timeoutMs ?? defaultTimeoutMs);
    const headers = {
      'Content-Type': 'application/json',
      'Lambda-Runtime-Aws-Request-Id': inv.requestId,
      'Lambda-Runtime-Deadline-Ms': String(deadline),
      'Lambda-Runtime-Invoked-Function-Arn': inv.functionArn ?? functionArn,
    };
    if (inv.traceId != null) headers['Lambda-Runtime-Trace-Id'] = inv.traceId;
    if (inv.clientContext != null) {
      headers['Lambda-Runtime-Client-Context'] = typeof inv.clientContext === 'string' ? inv.clientContext : JSON.stringify(inv.clientContext);
    }
    if (inv.cognitoIdentity != null) {
      headers['Lambda-Runtime-Cognito-Identity'] = typeof inv.cognitoIdentity === 'string' ? inv.cognitoIdentity : JSON.stringify(inv.cognitoIdentity);
    }
    if (inv.tenantId != null) headers['Lambda-Runtime-Aws-Tenant-Id'] = inv.tenantId;
    inFlight.set(inv.requestId, inv);
    res.writeHead(200, headers);
    res.end(JSON.stringify(inv.event === undefined ? {} : inv.event));
  }

  // Hands queued invocations to parked polls whose connection is still open.
  function dispatch() {
    while (queue.length > 0 && pollers.length > 0) {
      const res = pollers.shift();
      if (res.destroyed || res.writableEnded) continue;
      deliver(queue.shift(), res);
    }
  }

  function reply(res, status, body) {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify(body));
  }

  function parseJson(text) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }

  function onResult(kind, id, req, body, res) {
    const inv = inFlight.get(id);
    const headers = req.headers;
    const trailers = req.trailers ?? {};
    const record = { kind, requestId: id, headers, trailers, body, at: Date.now() };
    if (!inv) {
      stray.push(record);
      return reply(res, 400, { errorType: 'InvalidRequestID', errorMessage: `unknown or already answered request id ${id}` });
    }
    const parsed = body === '' ? null : parseJson(body);
    const streamed = (headers['lambda-runtime-function-response-mode'] ?? '').toLowerCase() === 'streaming';
    // A streamed response that failed midway reports the error in trailers.
    const streamErrorType = trailers['lambda-runtime-function-error-type'];
    const failed = kind === 'error' || Boolean(streamErrorType);
    let errorType = null;
    let errorMessage = null;
    if (kind === 'error') {
      // The native client (aws-lambda-cpp) sends no Lambda-Runtime-Function-Error-Type
      // header: the type is in the JSON body ({errorType, errorMessage, trace}).
      errorType = headers['lambda-runtime-function-error-type'] ?? parsed?.errorType ?? null;
      errorMessage = parsed?.errorMessage ?? null;
    } else if (streamErrorType) {
      errorType = streamErrorType;
      const encoded = trailers['lambda-runtime-function-error-body'];
      if (encoded) errorMessage = parseJson(Buffer.from(encoded, 'base64').toString('utf8'))?.errorMessage ?? null;
    }
    const xrayCause = headers['lambda-runtime-function-xray-error-cause'];
    reply(res, 202, { status: 'OK' });
    settle(inv, {
      ok: !failed,
      status: failed ? 'error' : 'response',
      body: parsed,
      rawBody: body,
      streamed,
      errorType,
      errorMessage,
      xrayErrorCause: xrayCause ? parseJson(xrayCause) : null,
      headers,
      respondedAt: record.at,
    });
  }

  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url, 'http://runtime');
      const path = url.pathname;
      requests.push({ method: req.method, path, headers: req.headers, body, at: Date.now() });
      let m;
      if (req.method === 'GET' && path === `${PREFIX}/invocation/next`) {
        if (closed) return reply(res, 500, { errorType: 'ServiceShuttingDown' });
        pollers.push(res);
        // A poller that goes away (process killed) must not receive an invocation.
        res.on('close', () => {
          const i = pollers.indexOf(res);
          if (i >= 0) pollers.splice(i, 1);
        });
        return dispatch();
      }
      if (req.method === 'POST' && (m = path.match(new RegExp(`^${PREFIX}/invocation/([^/]+)/(response|error)$`)))) {
        return onResult(m[2], decodeURIComponent(m[1]), req, body, res);
      }
      if (req.method === 'POST' && path === `${PREFIX}/init/error`) {
        const parsed = body === '' ? null : parseJson(body);
        initErrorRecord = {
          errorType: req.headers['lambda-runtime-function-error-type'] ?? parsed?.errorType ?? null,
          errorMessage: parsed?.errorMessage ?? null,
          body: parsed,
          headers: req.headers,
          at: Date.now(),
        };
        reply(res, 202, { status: 'OK' });
        resolveInitError(initErrorRecord);
        // As in Lambda, invocations waiting on a runtime that failed Init fail with its error.
        failPending('init-error', { errorType: initErrorRecord.errorType, errorMessage: initErrorRecord.errorMessage });
        return;
      }
      reply(res, 404, { errorType: 'NotFound', errorMessage: `${req.method} ${path}` });
    });
  });
  // Long polls are held indefinitely; nothing should time them out.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.keepAliveTimeout = 60_000;

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();

  // The result of an invocation the runtime never answered.
  function failure(status, extra = {}) {
    return {
      ok: false,
      status,
      body: null,
      rawBody: null,
      streamed: false,
      errorType: null,
      errorMessage: null,
      xrayErrorCause: null,
      headers: null,
      respondedAt: Date.now(),
      ...extra,
    };
  }

  /** Resolves every queued and in-flight invocation as failed with this status. */
  function failPending(status, extra = {}) {
    const pending = [...queue, ...inFlight.values()];
    for (const inv of pending) settle(inv, failure(status, extra));
    return pending.length;
  }

  const api = {
    /** host:port, the value for AWS_LAMBDA_RUNTIME_API. */
    url: `127.0.0.1:${port}`,
    port,
    /**
     * Queues one invocation; resolves when the runtime answers it:
     *   { ok, status: 'response'|'error'|'init-error'|'exited'|'closed', requestId, body (JSON-parsed
     *     when possible), rawBody, streamed, errorType, errorMessage, xrayErrorCause, headers
     *     (of the runtime's POST), deliveredAt, respondedAt }
     * inv: { event, traceId? (Lambda-Runtime-Trace-Id; omitted when absent), deadlineMs? (epoch ms),
     *        timeoutMs?, requestId? (random UUID), clientContext?, cognitoIdentity?, tenantId?, functionArn? }
     */
    invoke(inv = {}) {
      return new Promise((resolve) => {
        const entry = { ...inv, requestId: inv.requestId ?? randomUUID(), resolve };
        if (closed) return settle(entry, failure('closed'));
        if (initErrorRecord) {
          const { errorType, errorMessage } = initErrorRecord;
          return settle(entry, failure('init-error', { errorType, errorMessage }));
        }
        if (terminated) return settle(entry, failure(terminated.status, terminated.extra));
        queue.push(entry);
        dispatch();
      });
    },
    /** Resolves with { errorType, errorMessage, body, headers, at } if the runtime posts an init error (never otherwise). */
    initError,
    /** The init error record, or null. */
    get initErrorRecord() {
      return initErrorRecord;
    },
    /** GET /next requests currently held open. */
    get pollers() {
      return pollers.filter((r) => !r.destroyed && !r.writableEnded).length;
    },
    /** Invocations delivered and not yet answered. */
    get inFlight() {
      return inFlight.size;
    },
    /** Invocations not yet delivered. */
    get queued() {
      return queue.length;
    },
    /** Resolves once at least n polls are parked (e.g. the runtime finished Init). */
    waitForPollers(n = 1, timeoutMs = 15_000) {
      return waitUntil(() => api.pollers >= n, {
        timeoutMs,
        what: `${n} runtime polls on /invocation/next`,
        seen: () => `have ${api.pollers}; requests: ${requests.map((r) => `${r.method} ${r.path}`).join(', ')}`,
      });
    },
    requests,
    stray,
    failPending,
    /**
     * The runtime process is gone: pending and later invocations resolve at once as failed
     * with this status (e.g. 'exited', with { exitCode, signal }).
     */
    terminate(status, extra = {}) {
      terminated = { status, extra };
      return failPending(status, extra);
    },
    async close() {
      closed = true;
      failPending('closed');
      for (const res of pollers.splice(0)) res.destroy();
      server.closeAllConnections?.();
      await new Promise((resolve) => server.close(() => resolve()));
    },
  };
  return api;
}
