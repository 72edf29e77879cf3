// The receiver gate (src/tracing/receiver-gate.ts) and the one-request OTLP transport (src/tracing/otlp-transport.ts):
// a receiver that refused, hung or answered late costs one flush, not every one after it; spans of the
// bad period are held (bounded), sent when it is back, and what the bound dropped is reported once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import http from 'node:http';
import { context, diag, DiagLogLevel } from '@opentelemetry/api';
import { isTracingSuppressed } from '@opentelemetry/core';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ReceiverGate, RECHECK_WAIT_MS, FIRST_BACKOFF_MS, MAX_UNANSWERED } from '../../../dist/tracing/receiver-gate.js';
import { createOtlpTransport } from '../../../dist/tracing/otlp-transport.js';

const lines = [];
diag.setLogger({ error: (m) => lines.push(m), warn: (m) => lines.push(m), info: () => {}, debug: () => {}, verbose: () => {} }, DiagLogLevel.WARN);

const span = (i) => ({ name: `s${i}` });
const spans = (n, from = 0) => Array.from({ length: n }, (_, i) => span(from + i));

/** A gate over a scripted send: each call takes the next outcome (or waits for a released promise). */
function scripted({ maxHeldSpans = 100 } = {}) {
  let clock = 1_000_000;
  const sent = [];
  const outcomes = [];
  const gate = new ReceiverGate({
    endpoint: 'http://collector:4318/v1/traces',
    maxHeldSpans,
    unreachableAdvice: 'ADVICE.',
    now: () => clock,
    send: async (batch, background, onWritten) => {
      sent.push({ names: batch.map((s) => s.name), background });
      onWritten?.(); // handed to the operating system at once
      const next = outcomes.shift() ?? { ok: true, ms: 1 };
      return typeof next === 'function' ? next() : next;
    },
  });
  const exportNow = (batch) => new Promise((resolve) => gate.export(batch, resolve));
  /** What a flush does after the batch processor handed its spans over. */
  const flush = async (batch) => {
    const started = performance.now();
    await exportNow(batch);
    await gate.settled();
    return performance.now() - started;
  };
  return { gate, sent, outcomes, flush, advance: (ms) => (clock += ms) };
}

const refused = { ok: false, ms: 0, kind: 'unreachable', detail: 'ECONNREFUSED' };
const tick = () => new Promise((r) => setImmediate(r));

test('a refused connection: the flush ends at once, the spans are held, one warning names the fix', async () => {
  lines.length = 0;
  const { gate, sent, outcomes, flush, advance } = scripted();
  outcomes.push(refused);
  assert.ok((await flush(spans(3))) < 50);
  assert.equal(gate.receiverState, 'down');
  assert.equal(gate.heldSpans, 3);
  // Down: later flushes neither send nor wait until the backoff has passed.
  for (let i = 0; i < 5; i++) assert.ok((await flush(spans(1, 10 + i))) < RECHECK_WAIT_MS + 20);
  assert.equal(sent.length, 1, 'nothing sent during the backoff');
  assert.equal(gate.heldSpans, 8);
  assert.equal(lines.length, 1, lines.join('\n'));
  assert.match(lines[0], /^otel-xray-datadog: span export to http:\/\/collector:4318\/v1\/traces failed \(ECONNREFUSED\): nothing answers there\. ADVICE\. /);
  assert.match(lines[0], /up to 100 spans are held/);

  // Back after the backoff: the held spans go out in the background, and flushes wait for the receiver again.
  advance(FIRST_BACKOFF_MS);
  await flush(spans(1, 20));
  await tick();
  assert.equal(gate.receiverState, 'healthy');
  assert.deepEqual(sent[1], { names: ['s0', 's1', 's2', 's10', 's11', 's12', 's13', 's14', 's20'], background: true });
  assert.equal(gate.heldSpans, 0);
  assert.equal(lines.length, 2);
  assert.match(lines[1], /recovered after \d+ s; 9 held span\(s\) are being sent, 0 span\(s\) were lost while it failed/);
  await flush(spans(1, 30));
  assert.deepEqual(sent[2], { names: ['s30'], background: false }, 'healthy again: the flush sends and waits');
});

test('the held spans are bounded: the oldest are dropped, counted once in the recovery line', async () => {
  lines.length = 0;
  const { gate, outcomes, flush, advance } = scripted({ maxHeldSpans: 5 });
  outcomes.push(refused);
  await flush(spans(4));
  await flush(spans(4, 4));
  assert.equal(gate.heldSpans, 5);
  advance(FIRST_BACKOFF_MS);
  outcomes.push({ ok: true, ms: 1 });
  await flush([]);
  await tick();
  assert.match(lines.at(-1), /5 held span\(s\) are being sent, 3 span\(s\) were lost while it failed \(dropped by the bound of 5\)/);
});

test('backoff doubles while the receiver stays down', async () => {
  const { sent, outcomes, flush, advance } = scripted();
  outcomes.push(refused, refused, refused);
  await flush(spans(1));
  advance(FIRST_BACKOFF_MS);
  await flush(spans(1, 1));
  await tick();
  assert.equal(sent.length, 2);
  advance(FIRST_BACKOFF_MS); // the second backoff is twice the first
  await flush(spans(1, 2));
  await tick();
  assert.equal(sent.length, 2);
  advance(FIRST_BACKOFF_MS);
  await flush(spans(1, 3));
  await tick();
  assert.equal(sent.length, 3);
});

test('a hung receiver: the flush that gave up marks it down; the request still counts when it ends', async () => {
  lines.length = 0;
  const { gate, outcomes, flush } = scripted();
  let answer;
  outcomes.push(() => new Promise((r) => (answer = r)));
  const exported = new Promise((resolve) => gate.export(spans(2), resolve));
  let settled = false;
  void gate.settled().then(() => (settled = true));
  await tick();
  assert.equal(settled, false, 'healthy: a flush that waits for answers waits for this one');
  gate.abandonWaiting(1000);
  assert.equal(gate.receiverState, 'down');
  assert.match(lines[0], /failed \(no answer within the 1000 ms flush budget\): the receiver accepts connections but does not answer/);
  assert.ok((await flush(spans(1, 5))) < RECHECK_WAIT_MS + 20, 'later flushes do not wait');
  answer({ ok: false, ms: 10_000, kind: 'timeout', detail: 'no answer within 10000 ms' });
  await exported;
  await tick();
  assert.equal(gate.heldSpans, 3, 'the hung request failed: its spans are held too');
  assert.equal(lines.length, 1, 'one warning per kind of trouble');
});

test('a receiver that hangs or is slower than the spans come: after MAX_UNANSWERED waiting requests, one background request at a time', async () => {
  lines.length = 0;
  assert.equal(MAX_UNANSWERED, 4);
  const { gate, sent, outcomes, flush } = scripted();
  const answers = [];
  const later = () => new Promise((r) => answers.push(r));
  outcomes.push(later, later, later, later, later);
  // Healthy: each flush sends its own request (and, in Lambda, waits only until it is written).
  for (let i = 0; i < 4; i++) await new Promise((resolve) => gate.export(spans(1, i), resolve));
  assert.equal(gate.receiverState, 'healthy', 'three requests waiting are a receiver falling behind for a moment');
  // Four requests wait for an answer: the fifth flush does not add a fifth.
  const waited = await flush(spans(1, 4));
  assert.equal(gate.receiverState, 'slow');
  assert.ok(waited >= RECHECK_WAIT_MS - 1 && waited < RECHECK_WAIT_MS + 30, `waited ${waited} ms for the background request it started`);
  assert.deepEqual(
    sent.map((s) => [s.names.join(), s.background]),
    [
      ['s0', false],
      ['s1', false],
      ['s2', false],
      ['s3', false],
      ['s4', true],
    ],
  );
  assert.match(lines[0], /has 4 requests waiting for an answer: the receiver hangs or is slower than the spans come/);
  assert.ok((await flush(spans(1, 5))) < RECHECK_WAIT_MS, 'a flush that started nothing waits for nothing');
  assert.equal(sent.length, 5, 'one background request at a time; the rest is held');
  // Answers arrive: with fewer than four waiting, it is healthy again and the held span follows.
  for (const [i, answer] of answers.entries()) answer({ ok: true, ms: 900 - i });
  await tick();
  await tick();
  assert.equal(gate.receiverState, 'healthy');
  assert.deepEqual(sent[5], { names: ['s5'], background: true });
  assert.match(lines.at(-1), /recovered after \d+ s; \d+ held span\(s\) are being sent, 0 span\(s\) were lost/);
  assert.equal(lines.length, 2);
});

test('a receiver that falls behind again: the second episode, unannounced and without loss, ends without a line', async () => {
  lines.length = 0;
  const { gate, outcomes } = scripted({ maxHeldSpans: 1 });
  const answers = [];
  const later = () => new Promise((r) => answers.push(r));
  const episode = async (extraHeld) => {
    answers.length = 0;
    outcomes.push(...Array.from({ length: 5 + extraHeld }, () => later));
    for (let i = 0; i < 5 + extraHeld; i++) await new Promise((resolve) => gate.export(spans(1, i), resolve));
    assert.equal(gate.receiverState, 'slow');
    for (let round = 0; round < 4 && gate.receiverState !== 'healthy'; round++) {
      for (const answer of answers.splice(0)) answer({ ok: true, ms: 1 });
      await tick();
      await tick();
    }
    assert.equal(gate.receiverState, 'healthy');
  };
  await episode(0);
  assert.equal(lines.length, 2, `the first episode: its warning and its end\n${lines.join('\n')}`);
  await episode(0);
  assert.equal(lines.length, 2, `a second one like it is silent\n${lines.join('\n')}`);
  await episode(2);
  assert.equal(lines.length, 3, `one that lost spans says so\n${lines.join('\n')}`);
  assert.match(lines[2], /recovered after \d+ s; \d+ held span\(s\) are being sent, 1 span\(s\) were lost while it failed \(dropped by the bound of 1\)/);
});

test('a Lambda flush waits until the request is handed to the operating system; a host flush until it is answered', async () => {
  const { gate, outcomes } = scripted();
  let answer;
  outcomes.push(() => new Promise((r) => (answer = r)));
  await new Promise((resolve) => gate.export(spans(1), resolve));
  let answered = false;
  void gate.settled('answered').then(() => (answered = true));
  await gate.settled('written');
  await tick();
  assert.equal(answered, false);
  answer({ ok: true, ms: 5 });
  await tick();
  await tick();
  assert.equal(answered, true);
});

test('shutdown: one last attempt for held spans unless the receiver hung; what is left is reported', async () => {
  lines.length = 0;
  const a = scripted();
  a.outcomes.push(refused, { ok: true, ms: 1 });
  await a.flush(spans(2));
  await a.gate.shutdown();
  assert.deepEqual(a.sent[1], { names: ['s0', 's1'], background: false });
  assert.equal(lines.length, 1, 'nothing lost, nothing more said');

  const b = scripted();
  b.outcomes.push({ ok: false, ms: 10_000, kind: 'timeout', detail: 'no answer' });
  await b.flush(spans(2));
  await b.gate.shutdown();
  assert.equal(b.sent.length, 1, 'a hung receiver is not tried again at shutdown');
  assert.match(lines.at(-1), /2 span\(s\) could not be sent to http:\/\/collector:4318\/v1\/traces before shutdown \(2 held while it was unreachable, 0 dropped/);
});

test('rejected spans (HTTP 400) are dropped, not held or sent again; counted once and at shutdown', async () => {
  lines.length = 0;
  const { gate, sent, outcomes, flush, advance } = scripted();
  outcomes.push({ ok: false, ms: 2, kind: 'rejected', detail: 'HTTP 400' }, { ok: false, ms: 2, kind: 'rejected', detail: 'HTTP 400' });
  await flush(spans(2));
  await flush(spans(1, 2));
  assert.equal(gate.receiverState, 'healthy', 'it answered: flushes still wait for it');
  assert.equal(gate.heldSpans, 0);
  advance(60_000);
  await flush(spans(1, 3));
  assert.equal(sent.length, 3, 'nothing sent again');
  assert.equal(lines.length, 1);
  assert.match(lines[0], /was rejected \(HTTP 400\): 2 span\(s\) dropped, not sent again/);
  await gate.shutdown();
  assert.match(lines.at(-1), /3 span\(s\) could not be sent .* \(0 held while it was unreachable, 0 dropped by the bound of 100, 3 rejected by it\)/);
});

// --- the transport against real sockets -------------------------------------------------------

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));
const freePort = async () => {
  const server = net.createServer();
  const port = await listen(server);
  await new Promise((r) => server.close(r));
  return port;
};

/** A receiver that answers 200 to every request, closed after the test; resolves with its port. */
async function answering200(t) {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  t.after(() => server.close());
  return listen(server);
}

test('transport: a plain-http export never reaches http.request, which an http instrumentation may have wrapped', async (t) => {
  const seen = [];
  const served = await answering200(t);
  const original = http.request;
  http.request = function (...args) {
    seen.push('wrapped');
    return original.apply(this, args);
  };
  const transport = createOtlpTransport(`http://127.0.0.1:${served}/v1/traces`, 'http/protobuf');
  try {
    assert.equal((await transport.send(new Uint8Array([1]), false)).ok, true);
    assert.deepEqual(seen, []);
  } finally {
    http.request = original;
    transport.close();
  }
});

test("transport: through node:http's client (https, or NODE_USE_ENV_PROXY), the request is http.request as it was when the transport was made, and made with tracing suppressed", async (t) => {
  const seen = [];
  const served = await answering200(t);
  process.env.NODE_USE_ENV_PROXY = '1';
  t.after(() => delete process.env.NODE_USE_ENV_PROXY);
  const transport = createOtlpTransport(`http://127.0.0.1:${served}/v1/traces`, 'http/protobuf');
  // What an http instrumentation built afterwards does to the module's export.
  const original = http.request;
  http.request = function (...args) {
    seen.push('wrapped');
    return original.apply(this, args);
  };
  try {
    assert.equal((await transport.send(new Uint8Array([1]), false)).ok, true);
    assert.deepEqual(seen, [], 'the wrapped request is not the one used');
  } finally {
    http.request = original;
    transport.close();
  }

  // An instrumentation that wrapped it before the transport was made sees tracing suppressed, so it makes no span.
  const manager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(manager);
  http.request = function (...args) {
    seen.push(isTracingSuppressed(context.active()));
    return original.apply(this, args);
  };
  const early = createOtlpTransport(`http://127.0.0.1:${served}/v1/traces`, 'http/protobuf');
  try {
    assert.equal((await early.send(new Uint8Array([1]), false)).ok, true);
    assert.deepEqual(seen, [true]);
  } finally {
    http.request = original;
    early.close();
    context.disable();
  }
});

test('transport: refused, HTTP error, success, no answer within the timeout; no retries', async () => {
  const port = await freePort();
  const closed = createOtlpTransport(`http://127.0.0.1:${port}/v1/traces`, 'http/protobuf');
  const outcome = await closed.send(new Uint8Array([1, 2, 3]), false);
  assert.equal(outcome.ok, false);
  assert.equal(outcome.kind, 'unreachable');
  assert.equal(outcome.detail, 'ECONNREFUSED');
  closed.close();

  let requests = 0;
  const statuses = [503, 200, 400];
  const server = http.createServer((req, res) => {
    requests++;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      assert.equal(req.headers['content-type'], 'application/x-protobuf');
      assert.deepEqual([...Buffer.concat(chunks)], [1, 2, 3]);
      res.writeHead(statuses.shift()).end();
    });
  });
  const served = await listen(server);
  const transport = createOtlpTransport(`http://127.0.0.1:${served}/v1/traces`, 'http/protobuf');
  assert.deepEqual(await transport.send(new Uint8Array([1, 2, 3]), false).then(({ ok, kind, detail }) => ({ ok, kind, detail })), {
    ok: false,
    kind: 'unavailable',
    detail: 'HTTP 503',
  });
  assert.equal((await transport.send(new Uint8Array([1, 2, 3]), true)).ok, true);
  assert.deepEqual(await transport.send(new Uint8Array([1, 2, 3]), false).then(({ ok, kind, detail }) => ({ ok, kind, detail })), {
    ok: false,
    kind: 'rejected',
    detail: 'HTTP 400',
  });
  assert.equal(requests, 3, 'one request per send: a 503 is not retried here');
  transport.close();
  server.close();

  process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT = '150';
  try {
    const sockets = [];
    const silent = net.createServer((s) => sockets.push(s));
    const silentPort = await listen(silent);
    const hung = createOtlpTransport(`http://127.0.0.1:${silentPort}/v1/traces`, 'http/json');
    const result = await hung.send(new Uint8Array([1]), false);
    assert.equal(result.kind, 'timeout');
    assert.ok(result.ms >= 140 && result.ms < 1000, `${result.ms} ms`);
    hung.close();
    for (const s of sockets) s.destroy();
    silent.close();
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT;
  }
});

test('transport: a kept-alive socket the receiver closed while idle costs one new connection, not a failure', async () => {
  let requests = 0;
  const server = http.createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => res.writeHead(200).end());
  });
  server.keepAliveTimeout = 60_000;
  const port = await listen(server);
  const transport = createOtlpTransport(`http://127.0.0.1:${port}/v1/traces`, 'http/protobuf');
  assert.equal((await transport.send(new Uint8Array([1]), false)).ok, true);
  // The server drops its idle connections (as after a Lambda freeze) without the client noticing yet.
  server.closeIdleConnections();
  await new Promise((r) => setTimeout(r, 20));
  const again = await transport.send(new Uint8Array([2]), false);
  assert.equal(again.ok, true, JSON.stringify(again));
  assert.equal(requests, 2);
  transport.close();
  server.close();
});

test('transport: an https receiver with a private CA and mutual TLS (OTEL_EXPORTER_OTLP_CERTIFICATE, _CLIENT_CERTIFICATE, _CLIENT_KEY)', async (t) => {
  const { makeTestPki } = await import('../../../harness/certs.mjs');
  const https = await import('node:https');
  const fs = await import('node:fs');
  const pki = makeTestPki();
  t.after(() => pki.remove());
  let requests = 0;
  const server = https.createServer(
    { cert: fs.readFileSync(pki.serverCert), key: fs.readFileSync(pki.serverKey), ca: fs.readFileSync(pki.caFile), requestCert: true, rejectUnauthorized: true },
    (req, res) => {
      requests++;
      req.resume();
      req.on('end', () => res.writeHead(200).end());
    },
  );
  const port = await listen(server);
  t.after(() => server.close());
  const url = `https://127.0.0.1:${port}/v1/traces`;
  const mutual = createOtlpTransport(url, 'http/protobuf', { ca: pki.caFile, cert: pki.clientCert, key: pki.clientKey });
  assert.equal((await mutual.send(new Uint8Array([1]), false)).ok, true);
  mutual.close();
  const noClientCert = createOtlpTransport(url, 'http/protobuf', { ca: pki.caFile });
  const refused = await noClientCert.send(new Uint8Array([1]), false);
  assert.equal(refused.ok, false, 'the receiver requires our certificate');
  noClientCert.close();
  const unknownCa = createOtlpTransport(url, 'http/protobuf', {});
  const untrusted = await unknownCa.send(new Uint8Array([1]), false);
  assert.equal(untrusted.ok, false);
  assert.match(untrusted.detail, /SELF_SIGNED|UNABLE_TO_VERIFY|unable to verify/i, 'the system CAs do not know the private CA');
  unknownCa.close();
  assert.equal(requests, 1);
  lines.length = 0;
  const missing = createOtlpTransport(url, 'http/protobuf', { ca: '/nonexistent/ca.pem', key: '/secret/place/client.key' });
  await missing.send(new Uint8Array([1]), false);
  missing.close();
  assert.deepEqual(lines, [
    'otel-xray-datadog: OTEL_EXPORTER_OTLP_CERTIFICATE: /nonexistent/ca.pem could not be read (ENOENT); it is not used',
    'otel-xray-datadog: OTEL_EXPORTER_OTLP_CLIENT_KEY: the file could not be read (ENOENT); it is not used',
  ]);
});
