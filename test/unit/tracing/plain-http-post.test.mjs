// The export's own HTTP/1.1 POST for plain-http receivers (src/tracing/plain-http-post.ts), against node:http's client:
// each receiver answer gives the same outcome through both (node:http's is what NODE_USE_ENV_PROXY selects).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import net from 'node:net';
import { ResponseReader, writableHeaders } from '../../../dist/tracing/plain-http-post.js';
import { createOtlpTransport } from '../../../dist/tracing/otlp-transport.js';

const listen = (server) => new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server.address().port)));

/** Feeds `text` to a reader in pieces of `size` bytes; the first non-'more' result and the bytes fed. */
function readAll(text, size) {
  const reader = new ResponseReader(64 * 1024);
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) {
    const result = reader.push(bytes.subarray(at, at + size));
    if (result !== 'more') return result;
  }
  return { closed: reader.closed() };
}

const RESPONSES = [
  ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 2\r\n\r\nab', { status: 200, keepAlive: true }],
  ['empty body', 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', { status: 200, keepAlive: true }],
  [
    'chunked, with an extension and a trailer',
    'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=1\r\nabc\r\n10\r\n0123456789abcdef\r\n0\r\nX-Trailer: 1\r\n\r\n',
    { status: 200, keepAlive: true },
  ],
  ['Connection: close', 'HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 5\r\n\r\nlater', { status: 503, keepAlive: false }],
  ['HTTP/1.0 with a length', 'HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n', { status: 200, keepAlive: false }],
  ['100 Continue first', 'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 400 Bad Request\r\nContent-Length: 3\r\n\r\nbad', { status: 400, keepAlive: true }],
  ['204 without a body', 'HTTP/1.1 204 No Content\r\n\r\n', { status: 204, keepAlive: true }],
  ['not HTTP', 'SSH-2.0-OpenSSH_9.6\r\n\r\n', 'bad'],
  ['a length that is not a number', 'HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n\r\n', 'bad'],
];

test('responses are read to their end whatever the packet boundaries', () => {
  for (const [name, text, expected] of RESPONSES) {
    for (const size of [1, 2, 3, 7, text.length]) assert.deepEqual(readAll(text, size), expected, `${name}, ${size}-byte pieces`);
  }
  // Without a length the body runs until the connection closes.
  assert.deepEqual(readAll('HTTP/1.1 200 OK\r\n\r\nwhatever', 4), { closed: 200 });
  // Bytes beyond the length: the connection is not reused.
  assert.deepEqual(readAll('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nab', 100), { status: 200, keepAlive: false });
  // Too large to be an OTLP answer: the status, and the connection closed.
  const big = new ResponseReader(10);
  assert.deepEqual(big.push(Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789a')), { status: 200, keepAlive: false });
});

test('headers node:http would refuse are not written by hand', () => {
  assert.equal(writableHeaders({ 'Content-Type': 'application/x-protobuf', 'x-api-key': 'a b;c=d' }), true);
  assert.equal(writableHeaders({ 'x-api-key': 'a\r\nInjected: 1' }), false);
  assert.equal(writableHeaders({ 'x-api-key': 'a\u0001b' }), false);
  assert.equal(writableHeaders({ 'x-api-key': 'a\u007fb' }), false);
  assert.equal(writableHeaders({ 'x-team': 'tab\tand é' }), true);
  assert.equal(writableHeaders({ 'bad name': 'x' }), false);
});

/** A receiver that writes `answer` (a function of the request count) to each request, raw. */
async function rawReceiver(answer) {
  let requests = 0;
  let connections = 0;
  const sockets = new Set();
  const server = net.createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buffered = Buffer.alloc(0);
    socket.on('data', (data) => {
      buffered = Buffer.concat([buffered, data]);
      const end = buffered.indexOf('\r\n\r\n');
      if (end < 0) return;
      const length = Number(/content-length: (\d+)/i.exec(buffered.subarray(0, end).toString())?.[1] ?? 0);
      if (buffered.length < end + 4 + length) return;
      buffered = buffered.subarray(end + 4 + length);
      const reply = answer(++requests);
      if (reply === 'hang up') socket.destroy();
      else if (reply !== 'silence') socket.write(reply);
    });
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}/v1/traces`,
    counts: () => ({ requests, connections }),
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

async function outcomes(answer, sends = 1, viaNodeHttp = false) {
  const receiver = await rawReceiver(answer);
  if (viaNodeHttp) process.env.NODE_USE_ENV_PROXY = '1';
  const transport = createOtlpTransport(receiver.url, 'http/protobuf');
  delete process.env.NODE_USE_ENV_PROXY;
  const results = [];
  try {
    for (let i = 0; i < sends; i++) {
      const { ok, kind, detail } = await transport.send(new Uint8Array([1, 2, 3]), false);
      results.push({ ok, kind, detail });
    }
  } finally {
    transport.close();
    receiver.close();
  }
  return { results, ...receiver.counts() };
}

const ANSWERS = [
  ['200, Content-Length', () => 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', 3],
  ['200, chunked', () => 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n', 3],
  ['503 then 200', (n) => (n === 1 ? 'HTTP/1.1 503 Busy\r\nContent-Length: 4\r\n\r\nbusy' : 'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'), 2],
  ['400 with Connection: close', () => 'HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 3\r\n\r\nbad', 2],
  ['closed without an answer', () => 'hang up', 1],
  ['a body larger than an OTLP answer', () => `HTTP/1.1 200 OK\r\nContent-Length: ${70 * 1024}\r\n\r\n${'x'.repeat(70 * 1024)}`, 2],
];

test("each answer gives the outcome node:http's client gives, on as many connections", async () => {
  for (const [name, answer, sends] of ANSWERS) {
    const ours = await outcomes(answer, sends);
    const nodeHttp = await outcomes(answer, sends, true);
    assert.deepEqual(ours, nodeHttp, name);
  }
  // The figures themselves, for two of them.
  assert.deepEqual(await outcomes(ANSWERS[0][1], 3), { results: Array(3).fill({ ok: true, kind: undefined, detail: undefined }), requests: 3, connections: 1 });
  assert.deepEqual(await outcomes(ANSWERS[4][1], 1), { results: [{ ok: false, kind: 'unreachable', detail: 'ECONNRESET' }], requests: 1, connections: 1 });
});

test('no answer within OTEL_EXPORTER_OTLP_TIMEOUT is a timeout; an answer that is not HTTP is refused', async () => {
  process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT = '150';
  try {
    const { results } = await outcomes(() => 'silence');
    assert.deepEqual(results, [{ ok: false, kind: 'timeout', detail: 'no answer within 150 ms' }]);
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT;
  }
  const { results } = await outcomes(() => 'SSH-2.0-OpenSSH_9.6\r\n\r\n');
  assert.deepEqual(results, [{ ok: false, kind: 'rejected', detail: 'the answer is not HTTP/1.1' }]);
});

test('the receiver gets the request node:http would send: method, path, headers, body', async () => {
  process.env.OTEL_EXPORTER_OTLP_HEADERS = 'x-api-key=secret-value,x-team=obs';
  const seen = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const { host, connection, ...headers } = req.headers;
      seen.push({ method: req.method, url: req.url, host: host.replace(/:\d+$/, ':PORT'), connection, headers, body: [...Buffer.concat(chunks)] });
      res.writeHead(200).end();
    });
  });
  const port = await listen(server);
  try {
    for (const viaNodeHttp of [false, true]) {
      if (viaNodeHttp) process.env.NODE_USE_ENV_PROXY = '1';
      const transport = createOtlpTransport(`http://127.0.0.1:${port}/v1/traces?tenant=a`, 'http/protobuf');
      delete process.env.NODE_USE_ENV_PROXY;
      assert.equal((await transport.send(new Uint8Array([7, 8, 9]), false)).ok, true);
      transport.close();
    }
  } finally {
    delete process.env.OTEL_EXPORTER_OTLP_HEADERS;
    server.close();
  }
  assert.equal(seen.length, 2);
  assert.deepEqual(seen[0], seen[1]);
  assert.deepEqual(seen[0].body, [7, 8, 9]);
  assert.equal(seen[0].url, '/v1/traces?tenant=a');
  assert.equal(seen[0].headers['x-api-key'], 'secret-value');
});
