// "What happens when things go wrong": fault injection on 127.0.0.1 against real traced
// processes, plus fuzzing of the header and env-var parsing paths.
import { test } from 'node:test';
import { waitUntil } from './support/wait.mjs';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { createRequire } from 'node:module';
import { ROOT_CONTEXT, defaultTextMapGetter, trace, isSpanContextValid } from '@opentelemetry/api';
import { startOtlpReceiver } from './support/otlp-receiver.mjs';
import { freePort } from './support/collector.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, startNode } from './support/processes.mjs';

const require = createRequire(import.meta.url);
const { createPropagator } = require(path.join(repoRoot, 'dist', 'propagation.js'));
const { resolveConfig, DEFAULT_PROPAGATORS } = require(path.join(repoRoot, 'dist', 'config.js'));
const { SETTINGS, OPTION_ONLY_SETTINGS } = require(path.join(repoRoot, 'dist', 'settings.js'));
const { describeSettings } = require(path.join(repoRoot, 'dist', 'describe-settings.js'));
const { parseHttpUrl } = require(path.join(repoRoot, 'dist', 'env-values.js'));
const server = path.join(fixtures, 'guarded-server.cjs');

const agent = new http.Agent({ keepAlive: true });
function get(port, p = '/') {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    http.get({ host: '127.0.0.1', port, path: p, agent }, (res) => {
      let body = '';
      res.on('data', (c) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode, body, ms: Number(process.hrtime.bigint() - started) / 1e6 }));
    }).on('error', reject);
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
  const svc = await startNode([server], { env: cleanEnv({ NODE_OPTIONS: `--require ${registerCjs}`, OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', DD_SERVICE: 'restart' }) });
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
    const ourLines = () => svc.output().stderr.split('\n').filter((l) => l.includes('otel-xray-datadog:'));
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

test('fuzz: malformed X-Amzn-Trace-Id / traceparent / Datadog headers never throw and never yield an invalid parent', () => {
  const propagator = createPropagator({ propagators: DEFAULT_PROPAGATORS, datadogInjection: false });
  let seed = 42;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const pieces = ['Root=', '1-', 'Parent=', 'Sampled=', ';', '=', '-', '1', '0', 'ffffffff', '5759e988', 'bd862e3fe1be46a994272793', '53995c3f42cd8ad8', '\u0000', '\u202e', '😀', ' ', '\t', '00-', 'x'.repeat(5000), '18446744073709551616', '-1'];
  const randomValue = () => Array.from({ length: Math.floor(rand() * 12) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
  let withParent = 0;
  const started = Date.now();
  for (let i = 0; i < 5000; i++) {
    const carrier = {
      'x-amzn-trace-id': randomValue(),
      traceparent: randomValue(),
      'x-datadog-trace-id': randomValue(),
      'x-datadog-parent-id': randomValue(),
      'x-datadog-tags': randomValue(),
      baggage: randomValue(),
    };
    const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
    if (sc) {
      assert.ok(isSpanContextValid(sc), `invalid parent from ${JSON.stringify(carrier).slice(0, 200)}`);
      withParent++;
    }
  }
  assert.ok(Date.now() - started < 10_000, 'no pathological slowness');
  assert.ok(withParent < 5000, 'random input mostly starts new traces');
});

test('fuzz: garbage in every declared variable and start() option never throws, keeps tracing on, warns once per value', () => {
  // Driven by the settings table: a newly declared variable or option is fuzzed without a change here.
  const variables = Object.keys(SETTINGS);
  const options = [...Object.values(SETTINGS).flatMap((d) => (d.option ? [d.option.name] : [])), ...Object.keys(OPTION_ONLY_SETTINGS)];
  const labels = new Set([...variables, ...options.map((o) => `start({ ${o} })`), 'start(options)']);
  const nasty = ['', ' ', 'abc', '-1', '1e309', 'NaN', '\u0000\u0001\u0002', '%E0%A4%A', 'a=b=c', ',,,,', ':::', 'k:v k2', '😀=😀', 'x'.repeat(100_000), '0x10', 'true false', 'http://', 'ftp://x', '\n\r\t', 'grpc', 'none'];
  // Credentials go where they are expected (URLs, secret settings) and must never be printed from there.
  const urlSecrets = ['https://user:s3cr3t@collector:4318/v1/traces?k=s3cr3t', 'ftp://user:s3cr3t@x/?s3cr3t', 'user:s3cr3t@collector:4318', 'http://user:s3cr3t@bad host/?s3cr3t', 'http://s3cr3t@x:1#s3cr3t'];
  const secretFor = (name) => (SETTINGS[name].secret ? ['authorization=Bearer s3cr3t'] : SETTINGS[name].parse === parseHttpUrl ? urlSecrets : undefined);
  const urlOptions = Object.values(SETTINGS).filter((d) => d.option && d.parse === parseHttpUrl).map((d) => d.option.name);
  const nastyOptions = [5, -1, Number.NaN, Infinity, 1e21, 1.5, true, null, {}, [], ['b3'], [1, 2], ['express', 'bogus'], 'x'.repeat(100_000), 'headers', 10n, () => 1, { a: 5 }, { toJSON() { throw new Error('no'); } }, ...nasty];
  let seed = 7;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const any = (list) => list[Math.floor(rand() * list.length)];
  const started = Date.now();
  for (let i = 0; i < 3000; i++) {
    const env = {};
    for (const v of variables) if (rand() < 0.6) env[v] = secretFor(v) && rand() < 0.5 ? any(secretFor(v)) : any(nasty) + (rand() < 0.3 ? any(nasty) : '');
    const startOptions = {};
    for (const o of options) if (rand() < 0.3) startOptions[o] = urlOptions.includes(o) && rand() < 0.5 ? any(urlSecrets) : any(nastyOptions);
    const config = resolveConfig(env, startOptions, () => undefined);
    assert.equal(typeof config.service, 'string');
    assert.ok(config.service.length > 0);
    assert.ok(/^https?:\/\//.test(config.tracesEndpoint), config.tracesEndpoint);
    assert.ok(['http/protobuf', 'http/json'].includes(config.protocol), config.protocol);
    assert.ok(config.sampler.ratio >= 0 && config.sampler.ratio <= 1);
    assert.ok(Number.isFinite(config.shutdownTimeoutMs) && config.shutdownTimeoutMs >= 0);
    assert.ok(Number.isFinite(config.lambda.flushTimeoutMs) && config.lambda.flushTimeoutMs >= 0);
    assert.equal(config.disabled, /^\s*(true|1)\s*$/i.test(env.OTEL_SDK_DISABLED ?? ''), 'only OTEL_SDK_DISABLED turns tracing off');
    assert.doesNotThrow(() => createPropagator(config));
    const seen = new Set();
    for (const w of config.warnings) {
      assert.ok(w.length < 600, 'a warning stays one readable line');
      const label = w.slice(0, w.indexOf(': '));
      assert.ok(labels.has(label), `a warning names a declared variable or option: ${w.slice(0, 200)}`);
      assert.ok(!seen.has(label), `one warning per variable or option: ${label}`);
      seen.add(label);
    }
    const printed = [...config.warnings, ...describeSettings(config)].join('\n');
    assert.ok(!printed.includes('s3cr3t'), `no credentials printed: ${printed.slice(0, 2000)}`);
  }
  assert.ok(Date.now() - started < 30_000, 'no pathological slowness');
});

test('secrets: DD_API_KEY is never logged, query strings and auth headers do not become span attributes', async () => {
  const receiver = await startOtlpReceiver();
  const secret = 'deadbeefdeadbeefdeadbeefdeadbeef';
  const run = async (extra) => {
    const svc = await startNode(['--require', registerCjs, server], {
      env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '20', OTEL_LOG_LEVEL: 'debug', DD_API_KEY: secret, ...extra }),
    });
    await new Promise((resolve, reject) => http.get({ host: '127.0.0.1', port: svc.match[1], path: '/login?token=s3cr3t&user=bob', headers: { authorization: 'Bearer s3cr3t', cookie: 'session=s3cr3t' } }, (res) => { res.resume(); res.on('end', resolve); }).on('error', reject));
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
