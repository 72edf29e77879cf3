// moto (PyPI moto[server], as .ci/run installs it) as a local AWS on 127.0.0.1, and a
// recording proxy in front of it that keeps every request the SDK sent (headers, body).
import { spawn, spawnSync } from 'node:child_process';
import http from 'node:http';
import { freePort } from './collector.mjs';
import { listenOnLoopback } from './loopback.mjs';

export const MOTO_PIN = 'moto[server]==5.2.1';
export const credentials = { accessKeyId: 'testing', secretAccessKey: 'testing' };
export const region = 'us-east-1';

/** moto's server on a free 127.0.0.1 port; resolves once it answers. */
export async function startMoto() {
  const probe = spawnSync('python3', ['-c', 'import moto.server'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    throw new Error(`moto is not installed (python3 -m pip install '${MOTO_PIN}', as .ci/run does): ${probe.stderr || probe.error}`);
  }
  const port = await freePort();
  const child = spawn('python3', ['-m', 'moto.server', '-H', '127.0.0.1', '-p', String(port)], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto exited (${child.exitCode}): ${stderr}`);
    try {
      await fetch(`${url}/moto-api/`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill('SIGKILL');
        throw new Error(`moto did not answer on ${url} within 30 s: ${stderr}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  return {
    url,
    /** The AWS SDK v3 client options for this moto. */
    clientConfig: () => ({ region, endpoint: url, credentials }),
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('close', resolve);
        child.kill('SIGTERM');
      }),
  };
}

/**
 * A proxy that records each request (method, path, lower-case headers, body) and forwards
 * it to `target`. `answer(request)` may return { status, headers, body } to answer itself
 * (e.g. Lambda Invoke, which moto would run in Docker).
 */
export async function startRecordingProxy(target, { answer } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const record = { method: req.method, path: req.url, headers: req.headers, body: body.toString('utf8') };
      requests.push(record);
      const own = answer?.(record);
      if (own) {
        res.writeHead(own.status ?? 200, own.headers ?? { 'content-type': 'application/json' });
        res.end(own.body ?? '');
        return;
      }
      const forward = http.request(`${target}${req.url}`, { method: req.method, headers: req.headers }, (upstream) => {
        res.writeHead(upstream.statusCode ?? 502, upstream.headers);
        upstream.pipe(res);
      });
      forward.on('error', (error) => {
        res.writeHead(502);
        res.end(String(error));
      });
      forward.end(body);
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    requests,
    close: listening.close,
  };
}

/**
 * IAM's Query API, by hand: moto routes a request by the service named in the Authorization
 * header's credential scope and does not check signatures. Resolves the role's ARN.
 */
export async function createRole(url, name) {
  const res = await fetch(`${url}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: 'AWS4-HMAC-SHA256 Credential=testing/20250101/us-east-1/iam/aws4_request, SignedHeaders=host, Signature=0',
    },
    body: new URLSearchParams({
      Action: 'CreateRole',
      Version: '2010-05-08',
      RoleName: name,
      AssumeRolePolicyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      }),
    }),
  });
  const body = await res.text();
  const arn = body.match(/<Arn>([^<]+)<\/Arn>/)?.[1];
  if (!res.ok || !arn) throw new Error(`CreateRole: ${res.status} ${body}`);
  return arn;
}
