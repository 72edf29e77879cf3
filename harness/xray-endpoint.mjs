// A double for X-Ray's OTLP endpoint (https://xray.<region>.amazonaws.com/v1/traces) on
// 127.0.0.1: every request's SigV4 signature is checked by botocore (sigv4_verify.py, with
// the known test credentials below), then the OTLP/HTTP protobuf body is decoded. Signed
// requests get 200 and an empty ExportTraceServiceResponse; others 403, as AWS answers.
import { spawn } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import readline from 'node:readline';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { decodeOtlpTraces } from './otlp-protobuf.mjs';
import { flattenOtlpJson } from './otlp-receiver.mjs';
import { waitUntil } from './wait.mjs';
import { listenOnLoopback } from './loopback.mjs';

// AWS's documentation example credentials (not a real account).
export const TEST_AWS_CREDENTIALS = {
  AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
  AWS_SECRET_ACCESS_KEY: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
};

const verifierScript = path.join(path.dirname(fileURLToPath(import.meta.url)), 'sigv4_verify.py');

export async function startXrayEndpoint({ region = 'eu-west-1' } = {}) {
  const verifier = spawn('python3', [verifierScript], {
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      SIGV4_ACCESS_KEY_ID: TEST_AWS_CREDENTIALS.AWS_ACCESS_KEY_ID,
      SIGV4_SECRET_ACCESS_KEY: TEST_AWS_CREDENTIALS.AWS_SECRET_ACCESS_KEY,
      SIGV4_SERVICE: 'xray',
      SIGV4_REGION: region,
    },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let verifierErr = '';
  verifier.stderr.on('data', (d) => (verifierErr += d));
  const pending = new Map();
  let nextId = 0;
  const ready = new Promise((resolve, reject) => {
    verifier.once('exit', (code) => reject(new Error(`sigv4_verify.py exited (${code}): ${verifierErr} (scripts/install-sigv4-verifier.sh installs botocore)`)));
    readline.createInterface({ input: verifier.stdout }).on('line', (line) => {
      const msg = JSON.parse(line);
      if (msg.ready) return resolve();
      pending.get(msg.id)?.(msg);
      pending.delete(msg.id);
    });
  });
  await ready;
  const check = (request) =>
    new Promise((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      verifier.stdin.write(`${JSON.stringify({ id, ...request })}\n`);
    });

  const accepted = [];
  const refused = [];
  const spans = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const url = `http://${req.headers.host}${req.url}`;
      const verdict = await check({ method: req.method, url, headers: req.headers, body: body.toString('base64') });
      const record = { method: req.method, path: req.url, headers: req.headers, body, reason: verdict.reason };
      if (!verdict.ok) {
        refused.push(record);
        res.writeHead(403, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: `signature refused: ${verdict.reason}` }));
        return;
      }
      accepted.push(record);
      try {
        const raw = req.headers['content-encoding'] === 'gzip' ? zlib.gunzipSync(body) : body;
        const decoded = req.headers['content-type']?.includes('json') ? JSON.parse(raw.toString('utf8')) : decodeOtlpTraces(raw);
        spans.push(...flattenOtlpJson(decoded));
      } catch (error) {
        record.decodeError = String(error);
        res.writeHead(400);
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/x-protobuf' });
      res.end();
    });
  });
  const listening = await listenOnLoopback(server);
  const url = listening.url;
  return {
    url,
    tracesUrl: `${url}/v1/traces`,
    region,
    accepted,
    refused,
    spans,
    waitFor(predicate, timeoutMs = 30_000, what = 'X-Ray spans') {
      return waitUntil(() => predicate(spans) && spans, {
        timeoutMs,
        what,
        seen: () => `accepted ${accepted.length} request(s), refused ${refused.length} (${refused.map((r) => r.reason).join('; ')}), ${spans.length} span(s)`,
      });
    },
    async close() {
      await listening.close();
      verifier.stdin.end();
      if (verifier.exitCode === null) await new Promise((resolve) => verifier.once('exit', resolve));
    },
  };
}
