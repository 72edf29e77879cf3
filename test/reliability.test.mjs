// "What happens when things go wrong": fault injection on 127.0.0.1 against real traced
// processes. The header and env-var fuzzing is in-process: test/unit/tracing/propagation-fuzz.test.mjs
// and test/unit/config/fuzz.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { freePort } from '../harness/collector.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, startNode } from '../harness/processes.mjs';
import { waitUntil } from '../harness/wait.mjs';
const server = path.join(fixtures, 'guarded-server.cjs');

const agent = new http.Agent({ keepAlive: true });
function get(port, p = '/') {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http
      .get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode, body, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
      })
      .on('error', reject);
  });
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function medianLatency(port, n = 150) {
  for (let i = 0; i < 20; i++) await get(port); // warm up
  const times = [];
  for (let i = 0; i < n; i++) times.push((await get(port)).ms);
  return median(times);
}

test('a broken collector never slows, crashes or blocks the app', async (t) => {
  const untraced = await startNode([server], { env: cleanEnv() });
  const baseline = await medianLatency(untraced.match[1]);
  await untraced.stop();

  for (const behaviour of ['refused', 'hang', 'slow', 500, 503, { status: 429, headers: { 'retry-after': '1' } }, 'garbage']) {
    const label = typeof behaviour === 'object' ? '429 + Retry-After' : String(behaviour);
    await t.test(`collector: ${label}`, async () => {
      const receiver = behaviour === 'refused' ? undefined : await startOtlpReceiver({ behaviour: behaviour === 'slow' ? 'hang' : behaviour });
      const endpoint = receiver ? receiver.url : `http://127.0.0.1:${await freePort()}`;
      if (behaviour === 'slow') setTimeout(() => receiver.setBehaviour('ok'), 1500);
      const svc = await startNode([server], {
        env: cleanEnv({ NODE_OPTIONS: `--require ${registerCjs}`, OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: '1000' }),
      });
      try {
        const traced = await medianLatency(svc.match[1]);
        // Loose on purpose (shared 2-core machine): catches blocking, not microseconds.
        assert.ok(traced <= baseline * 5 + 5, `median ${traced.toFixed(2)} ms traced vs ${baseline.toFixed(2)} ms untraced`);
        const stopStarted = Date.now();
        const exit = await svc.stop('SIGTERM');
        const stopMs = Date.now() - stopStarted;
        assert.equal(exit.signal, 'SIGTERM', 'dies of SIGTERM, as without the tracer');
        assert.ok(stopMs < 3000, `exited ${stopMs} ms after SIGTERM (flush bound 1000 ms)`);
        const { stderr } = svc.output();
        assert.doesNotMatch(stderr, /UNHANDLED/);
        const exportLines = stderr.split('\n').filter((l) => /span export to \S+ failed \(/.test(l));
        assert.ok(exportLines.length <= 1, `at most one export-failure line per outage:\n${stderr}`);
      } finally {
        await svc.stop('SIGKILL');
        await receiver?.close();
      }
    });
  }
});

test('a burst against a hanging collector: the queue bound holds memory, drops are reported once', async () => {
  const receiver = await startOtlpReceiver({ behaviour: 'hang' });
  const svc = await startNode(['--expose-gc', '--require', registerCjs, server], {
    // A short export timeout so the hanging export gives up within the test.
    env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_MAX_QUEUE_SIZE: '2048', OTEL_EXPORTER_OTLP_TIMEOUT: '1000' }),
  });
  try {
    const port = svc.match[1];
    const before = JSON.parse((await get(port, '/heap')).body).heapUsed;
    await get(port, '/burst?n=50000');
    await get(port, '/burst?n=50000');
    const after = JSON.parse((await get(port, '/heap')).body).heapUsed;
    const growthMb = (after - before) / 1024 / 1024;
    // 100k spans unbounded would be well over 100 MB; the queue keeps 2048.
    assert.ok(growthMb < 30, `heap grew ${growthMb.toFixed(1)} MB for 100k spans`);
    // The batch processor reports the drop count once room frees up: when the
    // hanging export gives up (export timeout), the next batch leaves the queue.
    await new Promise((r) => setTimeout(r, 3000));
    await get(port, '/after-burst');
    await new Promise((r) => setTimeout(r, 200));
    const { stderr } = svc.output();
    const dropped = stderr.split('\n').filter((l) => /Dropped \d+ spans/.test(l));
    assert.ok(dropped.length >= 1 && dropped.length <= 2, `drops reported once per batch cycle, not per span:\n${stderr}`);
    assert.doesNotMatch(stderr, /UNHANDLED/);
  } finally {
    await svc.stop('SIGKILL');
    await receiver.close();
  }
});

test('collector restarts: spans of the outage are held and delivered; rejected batches are not sent again; unavailable ones are', async () => {
  const port = await freePort();
  let receiver = await startOtlpReceiver({ port });
  const svc = await startNode([server], {
    env: cleanEnv({ NODE_OPTIONS: `--require ${registerCjs}`, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', DD_SERVICE: 'restart' }),
  });
  const paths = () => receiver.spans.map((x) => x.attributes['url.path']);
  try {
    await get(svc.match[1], '/before');
    await receiver.waitFor((s) => s.some((x) => x.attributes['url.path'] === '/before'));
    await receiver.close();
    await get(svc.match[1], '/during');
    await new Promise((r) => setTimeout(r, 300));
    receiver = await startOtlpReceiver({ port });
    await get(svc.match[1], '/after');
    await receiver.waitFor((s) => s.some((x) => x.attributes['url.path'] === '/after'), 15_000);
    // The span that ended while the collector was down was held and is delivered once it is back.
    await receiver.waitFor((s) => s.some((x) => x.attributes['url.path'] === '/during'), 15_000);

    // 400: the receiver refuses the batch; sending it again would fail again.
    receiver.setBehaviour(400);
    const before = receiver.requests.length;
    await get(svc.match[1], '/bad-request');
    await new Promise((r) => setTimeout(r, 2500));
    assert.equal(receiver.requests.length - before, 1, 'a 400 is not retried');
    // 503: the batch is held and sent again with backoff, the same batch each time.
    receiver.setBehaviour(503);
    const before503 = receiver.requests.length;
    await get(svc.match[1], '/unavailable');
    await new Promise((r) => setTimeout(r, 2500));
    const sent = receiver.requests.slice(before503);
    assert.equal(sent.length, 3, `sent, then again 0.5 s and 1 s later (${sent.length} requests)`);
    assert.equal(new Set(sent.map((r) => r.body)).size, 1, 'retries resend the same batch');
    // Back to healthy: the held batch arrives; each episode was said once.
    receiver.setBehaviour('ok');
    await get(svc.match[1], '/back');
    await receiver.waitFor((s) => s.some((x) => x.attributes['url.path'] === '/back') && s.some((x) => x.attributes['url.path'] === '/unavailable'), 15_000);
    // The receiver double records every request it reads, answered or not.
    assert.equal(paths().filter((p) => p === '/unavailable').length, 4, 'three attempts answered 503, then the one accepted');
    assert.equal(paths().filter((p) => p === '/bad-request').length, 1, 'the one request answered 400');
    const ourLines = () =>
      svc
        .output()
        .stderr.split('\n')
        .filter((l) => l.includes('otel-xray-datadog:'));
    // The recovery line follows the accepted request's answer.
    await waitUntil(() => ourLines().length >= 5, { timeoutMs: 5_000, what: 'the second recovery line', seen: () => ourLines().join('\n') });
    const lines = ourLines();
    assert.equal(lines.length, 5, lines.join('\n'));
    assert.match(lines[0], /span export to \S+ failed \(ECONNREFUSED\): nothing answers there\. Check that an OpenTelemetry Collector listens there/);
    assert.match(lines[1], /recovered after \d+ s; [12] held span\(s\) are being sent, 0 span\(s\) were lost while it failed/);
    assert.match(lines[2], /was rejected \(HTTP 400\): 1 span\(s\) dropped, not sent again/);
    assert.match(lines[3], /failed \(HTTP 503\): the receiver cannot take spans now/);
    assert.match(lines[4], /recovered after \d+ s; \d+ held span\(s\) are being sent, 0 span\(s\) were lost while it failed/);
  } finally {
    await svc.stop('SIGKILL');
    await receiver.close();
  }
});

test('secrets: DD_API_KEY is never logged, query strings and auth headers do not become span attributes', async () => {
  const receiver = await startOtlpReceiver();
  const secret = 'deadbeefdeadbeefdeadbeefdeadbeef';
  const run = async (extra) => {
    const svc = await startNode(['--require', registerCjs, server], {
      env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_LOG_LEVEL: 'debug', DD_API_KEY: secret, ...extra }),
    });
    await new Promise((resolve, reject) =>
      http
        .get({ host: '127.0.0.1', port: svc.match[1], path: '/login?token=s3cr3t&user=bob', headers: { authorization: 'Bearer s3cr3t', cookie: 'session=s3cr3t' } }, (res) => {
          res.resume();
          res.on('end', resolve);
        })
        .on('error', reject),
    );
    await receiver.waitFor((s) => s.some((x) => x.resource['service.name'] === extra.DD_SERVICE));
    await svc.stop();
    return { span: receiver.spans.find((x) => x.resource['service.name'] === extra.DD_SERVICE), stderr: svc.output().stderr };
  };
  try {
    const { span, stderr } = await run({ DD_SERVICE: 'secrets-default' });
    assert.ok(!stderr.includes(secret), 'DD_API_KEY not in debug output');
    const everything = JSON.stringify(span);
    assert.ok(!everything.includes('s3cr3t'), `no secret in span: ${everything}`);
    assert.equal(span.attributes['url.path'], '/login');
    assert.equal(span.attributes['url.query'], undefined);

    const kept = await run({ DD_SERVICE: 'secrets-keep-query', OTEL_XRAY_DD_HTTP_KEEP_QUERY: 'true' });
    assert.match(kept.span.attributes['url.query'], /token=/, 'the documented switch keeps query strings');
    assert.ok(!JSON.stringify(kept.span).includes('Bearer'), 'auth headers still absent');
  } finally {
    await receiver.close();
  }
});

test('the collector config reads secrets from the environment only', () => {
  const yaml = fs.readFileSync(path.join(repoRoot, 'collector-config', 'collector.yaml'), 'utf8');
  assert.match(yaml, /key: \$\{env:DD_API_KEY\}/);
  assert.doesNotMatch(yaml.replace(/^\s*#.*$/gm, ''), /[0-9a-f]{32}/i, 'no literal API key');
});
