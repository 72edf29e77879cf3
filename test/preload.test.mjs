// The preload entry points in real processes: --require (CommonJS) and --import (ES modules),
// two traced services talking HTTP on 127.0.0.1, spans captured as OTLP by a local receiver.
// node-matrix: 22 24
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { cleanEnv, fixtures, registerCjs, registerEsm, runNode, startNode } from '../harness/processes.mjs';

let receiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

const tracedEnv = (extra) => cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '50', ...extra });

async function get(url, headers = {}) {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

test('CJS and ESM services traced by the preload form one X-Ray trace across an HTTP hop', async () => {
  const downstream = await startNode(['--import', registerEsm, path.join(fixtures, 'http-service.mjs')], {
    env: tracedEnv({ OTEL_SERVICE_NAME: 'svc-b', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.version=2.0.0' }),
  });
  const upstream = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
    env: tracedEnv({ DD_SERVICE: 'svc-a', DD_ENV: 'prod', DD_VERSION: '1.2.3', DOWNSTREAM_URL: `http://127.0.0.1:${downstream.match[1]}/seen` }),
  });
  try {
    const before = Math.floor(Date.now() / 1000);
    const { status, body } = await get(`http://127.0.0.1:${upstream.match[1]}/call`);
    assert.equal(status, 200);
    const spans = await receiver.waitFor(
      (all) => all.some((s) => s.resource['service.name'] === 'svc-b' && s.kind === 2) && all.filter((s) => s.resource['service.name'] === 'svc-a').length >= 2,
    );

    const aServer = spans.find((s) => s.resource['service.name'] === 'svc-a' && s.kind === 2);
    const aClient = spans.find((s) => s.resource['service.name'] === 'svc-a' && s.kind === 3);
    const bServer = spans.find((s) => s.resource['service.name'] === 'svc-b' && s.kind === 2);
    assert.ok(aServer && aClient && bServer, 'server and client spans from both services');
    assert.equal(aClient.traceId, aServer.traceId);
    assert.equal(bServer.traceId, aServer.traceId, 'one trace across both processes');
    assert.equal(aClient.parentSpanId, aServer.spanId);
    assert.equal(bServer.parentSpanId, aClient.spanId);

    // The X-Ray header was on the wire, pointing at the client span, next to traceparent.
    const t = aServer.traceId;
    assert.equal(body.downstream.seen.xray, `Root=1-${t.slice(0, 8)}-${t.slice(8)};Parent=${aClient.spanId};Sampled=1`);
    assert.equal(body.downstream.seen.traceparent, `00-${t}-${aClient.spanId}-01`);

    // X-Ray ids: the first 32 bits are the epoch second the trace started.
    const epoch = parseInt(t.slice(0, 8), 16);
    assert.ok(epoch >= before - 2 && epoch <= Math.ceil(Date.now() / 1000) + 2, `epoch prefix ${epoch} near ${before}`);

    // Unified tags per service, from DD_* on one side and OTEL_* on the other.
    assert.equal(aServer.resource['deployment.environment.name'], 'prod');
    assert.equal(aServer.resource['deployment.environment'], 'prod');
    assert.equal(aServer.resource['service.version'], '1.2.3');
    assert.equal(bServer.resource['deployment.environment.name'], 'prod');
    assert.equal(bServer.resource['service.version'], '2.0.0');
  } finally {
    await upstream.stop();
    await downstream.stop();
  }
});

test('an incoming X-Amzn-Trace-Id (Root + Parent) becomes the parent of the server span', async () => {
  const svc = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], { env: tracedEnv({ DD_SERVICE: 'xray-in' }) });
  try {
    const root = '1-5759e988-bd862e3fe1be46a994272793';
    await get(`http://127.0.0.1:${svc.match[1]}/x`, { 'X-Amzn-Trace-Id': `Root=${root};Parent=53995c3f42cd8ad8;Sampled=1` });
    const [span] = (await receiver.waitFor((all) => all.some((s) => s.resource['service.name'] === 'xray-in'))).filter((s) => s.resource['service.name'] === 'xray-in');
    assert.equal(span.traceId, '5759e988bd862e3fe1be46a994272793');
    assert.equal(span.parentSpanId, '53995c3f42cd8ad8');
  } finally {
    await svc.stop();
  }
});

test('a malformed X-Amzn-Trace-Id starts a new trace and the request still succeeds', async () => {
  const svc = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], { env: tracedEnv({ DD_SERVICE: 'xray-bad' }) });
  try {
    for (const header of [
      'Root=garbage;Parent=zz',
      'Root=1-5759e988-bd862e3fe1be46a99427279;Parent=53995c3f42cd8ad8',
      ';;;===',
      'Root=1-00000000-000000000000000000000000;Parent=0000000000000000;Sampled=1',
      'x'.repeat(8000),
    ]) {
      const { status } = await get(`http://127.0.0.1:${svc.match[1]}/x`, { 'X-Amzn-Trace-Id': header });
      assert.equal(status, 200, `request with X-Amzn-Trace-Id ${header.slice(0, 40)} succeeds`);
    }
    const spans = (await receiver.waitFor((all) => all.filter((s) => s.resource['service.name'] === 'xray-bad').length >= 5)).filter(
      (s) => s.resource['service.name'] === 'xray-bad',
    );
    for (const span of spans) {
      assert.equal(span.parentSpanId, undefined, 'no parent taken from a malformed header');
      assert.match(span.traceId, /^[0-9a-f]{32}$/);
      assert.notEqual(span.traceId, '00000000000000000000000000000000');
    }
    assert.equal(new Set(spans.map((s) => s.traceId)).size, spans.length, 'each request starts its own trace');
  } finally {
    await svc.stop();
  }
});

test('an incoming Sampled=0 is honoured: nothing is exported for that request', async () => {
  const svc = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], { env: tracedEnv({ DD_SERVICE: 'xray-unsampled' }) });
  try {
    await get(`http://127.0.0.1:${svc.match[1]}/x`, { 'X-Amzn-Trace-Id': 'Root=1-5759e988-bd862e3fe1be46a994272711;Parent=53995c3f42cd8ad8;Sampled=0' });
    await get(`http://127.0.0.1:${svc.match[1]}/marker`); // sampled; proves the exporter ran after the first request
    await receiver.waitFor((all) => all.some((s) => s.resource['service.name'] === 'xray-unsampled'));
    await svc.stop();
    const mine = receiver.spans.filter((s) => s.resource['service.name'] === 'xray-unsampled');
    assert.deepEqual(
      mine.map((s) => s.attributes['url.path']),
      ['/marker'],
    );
  } finally {
    await svc.stop();
  }
});

// The service / env / version precedence table is tested in-process against resolveConfig
// (test/unit/config.test.mjs); the first test above checks that its result reaches the exported
// resource through both preload entry points.

test('OTEL_SDK_DISABLED=true: the app runs, nothing is exported, no trace headers are injected', async () => {
  const down = await startNode([path.join(fixtures, 'http-service.cjs')], { env: cleanEnv() });
  const before = receiver.requests.length;
  const svc = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
    env: tracedEnv({ OTEL_SDK_DISABLED: 'true', DD_SERVICE: 'disabled-svc', DOWNSTREAM_URL: `http://127.0.0.1:${down.match[1]}/seen` }),
  });
  try {
    const { status, body } = await get(`http://127.0.0.1:${svc.match[1]}/call`);
    assert.equal(status, 200);
    assert.equal(body.downstream.seen.xray, null);
    assert.equal(body.downstream.seen.traceparent, null);
  } finally {
    await svc.stop();
    await down.stop();
  }
  assert.equal(receiver.requests.length, before, 'no export request');
  assert.equal(svc.output().stderr, '');
});

test('OTEL_SDK_DISABLED=true loads nothing beyond the configuration, in Lambda and under --import too', async () => {
  const loadedStageTwo = "process.stdout.write(String(Object.keys(require('node:module')._cache).some((f) => /[\\\\/]start\\.js$/.test(f))))";
  const lambda = { AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: fixtures, _HANDLER: 'http-service.handler' };
  for (const [entry, extra] of [
    [['--require', registerCjs], lambda],
    [['--import', registerEsm], {}],
    [['--require', registerCjs], {}],
  ]) {
    const enabled = await runNode([...entry, '-e', loadedStageTwo], { env: tracedEnv(extra) });
    const disabled = await runNode([...entry, '-e', loadedStageTwo], { env: tracedEnv({ ...extra, OTEL_SDK_DISABLED: 'true' }) });
    assert.deepEqual([disabled.stdout, disabled.stderr], ['false', ''], entry.join(' '));
    // The check can see stage 2: where tracing starts at once, it is loaded.
    assert.equal(enabled.stdout, String(entry[0] === '--import' || extra === lambda), entry.join(' '));
  }
});

test('import-in-the-middle is loaded only where the ES module loader hook is registered (--import), not for a CommonJS app under --require', async () => {
  const loads = (fragment) => `String(Object.keys(require('node:module')._cache).some((f) => f.includes('${fragment}')))`;
  const http = loads('/instrumentations/instrumentation-http.js');
  const iitm = loads('/node_modules/import-in-the-middle/index.js');
  // require('http') builds the http instrumentation (its chunk beside the preload); an import of node:http is what the ES module hook serves.
  const probe = `require('node:http'); const before = ${iitm}; import('node:http').then(() => process.stdout.write([${http}, before, ${iitm}].join(' ')))`;
  const cjs = await runNode(['--require', registerCjs, '-e', probe], { env: tracedEnv() });
  assert.deepEqual([cjs.stdout, cjs.stderr], ['true false false', '']);
  // In-thread hooks (Node >= 22.22.3 / 24.11.1): import-in-the-middle loads at the first import of an
  // instrumented module; in the loader thread (Node 20) it is there from the start.
  const inThread = Number(process.versions.node.split('.')[0]) >= 22;
  const esm = await runNode(['--import', registerEsm, '-e', probe], { env: tracedEnv() });
  assert.deepEqual([esm.stdout, esm.stderr], [`true ${!inThread} true`, '']);
});

test('the preload starts once: not again in the loader-hooks thread that module.register() starts', async () => {
  const env = tracedEnv({ AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'us-east-1', LAMBDA_TASK_ROOT: path.join(fixtures, 'loader-thread'), _HANDLER: 'missing.handler' });
  const script = path.join(fixtures, 'loader-thread', 'register-loader.cjs');
  // A script (the main thread's argv has it) and -e (it has not: worker_threads tells the threads apart).
  for (const args of [[script], ['-e', `require(${JSON.stringify(script)})`]]) {
    const r = await runNode(['--require', registerCjs, ...args], { env });
    assert.equal(r.stdout, 'imported', r.stderr);
    const starts = r.stderr.split('\n').filter((line) => line.includes('the Lambda handler file named by _HANDLER was not found'));
    assert.equal(starts.length, 1, `${args[0]}: ${r.stderr}`);
  }
});

test('bad env values: one warning naming each variable and its default; the app still runs and traces', async () => {
  const marker = `bad-${Date.now()}`;
  const r = await runNode(['--require', registerCjs, path.join(fixtures, 'one-span.cjs')], {
    env: tracedEnv({
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 'abc',
      DD_TAGS: 'env:ok,::,novalue:',
      OTEL_PROPAGATORS: 'tracecontext,bogus',
      OTEL_LOG_LEVEL: 'loud',
      OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: '-5',
      OTEL_RESOURCE_ATTRIBUTES: `test.marker=${marker}`,
    }),
  });
  assert.equal(r.code, 0);
  const lines = r.stderr.trim().split('\n');
  for (const [variable, fallback] of [
    ['OTEL_TRACES_SAMPLER_ARG', 'ratio 1.0'],
    ['DD_TAGS', 'the well-formed entries only'],
    ['OTEL_PROPAGATORS', 'using tracecontext'],
    ['OTEL_LOG_LEVEL', 'using warn'],
    ['OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS', '2000 ms'],
  ]) {
    const matching = lines.filter((l) => l.includes(`${variable}:`));
    assert.equal(matching.length, 1, `exactly one line about ${variable} in:\n${r.stderr}`);
    assert.ok(matching[0].includes(fallback), `${matching[0]} names the default ${fallback}`);
  }
  const [span] = (await receiver.waitFor((all) => all.some((s) => s.resource['test.marker'] === marker))).filter((s) => s.resource['test.marker'] === marker);
  assert.equal(span.resource['deployment.environment.name'], 'ok', 'the good DD_TAGS entry is kept');
});

test('a bad endpoint URL is treated as unset; a dead collector costs one warning and no delay; credentials are never printed', async () => {
  const r = await runNode(['--require', registerCjs, path.join(fixtures, 'one-span.cjs')], {
    // The OTLP exporter reads these variables too, and prints the one it cannot parse: our diag logger redacts it.
    env: cleanEnv({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://user:s3cr3t@not a host',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://user:s3cr3t@127.0.0.1:1/?key=s3cr3t',
      OTEL_LOG_LEVEL: 'debug',
    }),
  });
  assert.equal(r.code, 0);
  assert.match(
    r.stderr,
    /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "http:\/\/\*\*\*@not a host" is not a URL; using http:\/\/\*\*\*@127\.0\.0\.1:1\/v1\/traces\?\*\*\* \(env OTEL_EXPORTER_OTLP_ENDPOINT\)/,
  );
  assert.ok(r.stderr.split('\n').filter((l) => /span export to \S+ failed/.test(l)).length <= 1, r.stderr);
  // Debug lines go to stdout (console.debug): the start-up report lists the endpoint redacted.
  assert.match(r.stdout, /setting tracesEndpoint = http:\/\/\*\*\*@127\.0\.0\.1:1\/v1\/traces\?\*\*\* \(env OTEL_EXPORTER_OTLP_ENDPOINT\)/, r.stdout);
  assert.ok(!`${r.stdout}${r.stderr}`.includes('s3cr3t'), `${r.stdout}${r.stderr}`);
  assert.ok(r.ms < 5000, `exited after ${r.ms} ms`);
});

test('spans are sent as OTLP protobuf by default, JSON when asked', async () => {
  for (const [protocol, contentType] of [
    [undefined, 'application/x-protobuf'],
    ['http/json', 'application/json'],
  ]) {
    const before = receiver.requests.length;
    const r = await runNode(['--require', registerCjs, path.join(fixtures, 'one-span.cjs')], {
      env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...(protocol ? { OTEL_EXPORTER_OTLP_PROTOCOL: protocol } : {}) }),
    });
    assert.equal(r.code, 0, r.stderr);
    const { traceId } = JSON.parse(r.stdout);
    await receiver.waitFor((spans) => spans.some((s) => s.traceId === traceId));
    assert.ok(
      receiver.requests.slice(before).every((q) => q.headers['content-type'] === contentType),
      `${protocol ?? 'default'}: ${contentType}`,
    );
  }
});
