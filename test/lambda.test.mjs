// Lambda: real handler modules loaded the way the Node.js runtime loads them, in child
// processes with the preload, spans captured by a local OTLP receiver.
// node-matrix: 22 24
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { cleanEnv, fixtures, registerCjs, registerEsm, runNode } from '../harness/processes.mjs';

let receiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

const runtime = path.join(fixtures, 'lambda-runtime.mjs');
const ROOT = '5759e988bd862e3fe1be46a994272793';
const xrayEnv = (root, parent, sampled = 1) => `Root=1-${root.slice(0, 8)}-${root.slice(8)};Parent=${parent};Sampled=${sampled};Lineage=a87bd80c:0`;

/** Runs invocations of a handler in a fresh "sandbox"; returns the runtime's per-invocation lines. */
async function runLambda({ fn, dir = 'cjs', handler = 'index.handler', preload = ['--require', registerCjs], invocations, env = {}, otlpUrl = receiver.url }) {
  const r = await runNode([...preload, runtime], {
    env: cleanEnv({
      AWS_LAMBDA_FUNCTION_NAME: fn,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      LAMBDA_TASK_ROOT: path.join(fixtures, 'lambda', dir),
      _HANDLER: handler,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      INVOCATIONS: JSON.stringify(invocations),
      ...env,
    }),
  });
  assert.equal(r.code, 0, r.stderr);
  return {
    lines: r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l)),
    stderr: r.stderr,
  };
}

const invocationSpans = (fn) => receiver.spans.filter((s) => s.resource['faas.name'] === fn && s.scope === 'otel-xray-datadog/aws-lambda');

for (const variant of [
  { name: 'CommonJS async handler', dir: 'cjs', handler: 'index.handler', preload: () => ['--require', registerCjs] },
  { name: 'CommonJS callback handler', dir: 'cjs', handler: 'callback.handler', preload: () => ['--require', registerCjs] },
  { name: 'ES module handler (.mjs)', dir: 'esm', handler: 'index.handler', preload: () => ['--import', registerEsm] },
]) {
  test(`${variant.name}: invocation spans join Lambda's X-Ray segment and are flushed before the invocation returns`, async () => {
    const fn = `fn-${variant.dir}-${variant.handler.split('.')[0]}`;
    const { lines } = await runLambda({
      fn,
      dir: variant.dir,
      handler: variant.handler,
      preload: variant.preload(),
      invocations: [
        { event: {}, traceHeader: xrayEnv(ROOT, '53995c3f42cd8ad8') },
        { event: {}, traceHeader: xrayEnv('6000000000000000aaaaaaaaaaaaaaaa', '1111111111111111') },
      ],
    });
    assert.deepEqual(
      lines.map((l) => l.ok),
      [true, true],
    );
    const spans = invocationSpans(fn);
    assert.equal(spans.length, 2, 'one span per invocation, already at the receiver');
    const [first, second] = spans.sort((x, y) => x.attributes['faas.invocation_id'].localeCompare(y.attributes['faas.invocation_id']));

    assert.equal(first.traceId, ROOT, 'the X-Ray Root is the trace id');
    assert.equal(first.parentSpanId, '53995c3f42cd8ad8', 'the Lambda segment is the parent');
    assert.equal(second.traceId, '6000000000000000aaaaaaaaaaaaaaaa');
    assert.equal(second.parentSpanId, '1111111111111111');

    assert.equal(first.attributes['faas.coldstart'], true);
    assert.equal(second.attributes['faas.coldstart'], false);
    assert.equal(first.attributes['faas.invocation_id'], 'req-1');
    assert.equal(first.attributes['cloud.resource_id'], `arn:aws:lambda:us-east-1:123456789012:function:${fn}`);
    assert.equal(first.resource['service.name'], fn);
    assert.equal(first.resource['deployment.environment.name'], 'none');
    assert.equal(first.resource['cloud.platform'], 'aws_lambda');

    if (variant.handler.startsWith('callback')) {
      for (const span of spans) assert.ok(span.durationMs >= 55, `the span covers the handler until it calls back (${span.durationMs} ms)`);
    }

    // That each span leaves before its invocation returns is proven under the runtime client, with the
    // process stopped after each response (test/lambda-runtimes.test.mjs).
  });
}

test('Sampled=0 in _X_AMZN_TRACE_ID: exported all the same, as the root of its own trace (X-Ray recorded no segment to point at)', async () => {
  const invocations = [
    { event: { n: 1 }, traceHeader: xrayEnv('5759e988bd862e3fe1be46a9942727aa', '53995c3f42cd8ad8', 0) },
    { event: { n: 2 }, traceHeader: xrayEnv('5759e988bd862e3fe1be46a9942727bb', '53995c3f42cd8ad8', 1) },
  ];
  await runLambda({ fn: 'fn-unsampled', invocations });
  const [unsampled, sampled] = invocationSpans('fn-unsampled').sort((a, b) => a.attributes['faas.invocation_id'].localeCompare(b.attributes['faas.invocation_id']));
  assert.equal(unsampled.attributes['faas.invocation_id'], 'req-1');
  assert.notEqual(unsampled.traceId, '5759e988bd862e3fe1be46a9942727aa');
  assert.equal(unsampled.parentSpanId, undefined);
  assert.equal(unsampled.attributes['sampling.priority'], 1, 'Datadog keeps it');
  assert.equal(sampled.traceId, '5759e988bd862e3fe1be46a9942727bb');
  assert.equal(sampled.parentSpanId, '53995c3f42cd8ad8');

  // The strict mode of earlier releases: what X-Ray did not sample is not exported.
  await runLambda({ fn: 'fn-unsampled-strict', invocations, env: { OTEL_XRAY_DD_LAMBDA_SAMPLING: 'xray' } });
  assert.deepEqual(
    invocationSpans('fn-unsampled-strict').map((s) => s.attributes['faas.invocation_id']),
    ['req-2'],
  );
});

test('handler errors: the span records the exception and error status; the runtime still sees the error', async () => {
  for (const [dir, handler, preload] of [
    ['cjs', 'index.handler', ['--require', registerCjs]],
    ['cjs', 'callback.handler', ['--require', registerCjs]],
    ['esm', 'index.handler', ['--import', registerEsm]],
  ]) {
    const fn = `fn-error-${dir}-${handler.split('.')[0]}`;
    const { lines } = await runLambda({ fn, dir, handler, preload, invocations: [{ event: { fail: 'x' }, traceHeader: xrayEnv(ROOT, '53995c3f42cd8ad8') }] });
    assert.equal(lines[0].ok, false);
    assert.match(lines[0].error, /failed/);
    const [span] = invocationSpans(fn);
    assert.equal(span.status.code, 2, `${fn}: status ERROR`);
    assert.ok(
      span.events.some((e) => e.name === 'exception'),
      `${fn}: exception event recorded`,
    );
  }
});

test('API Gateway headers link the invocation when there is no X-Ray env context; the env context wins when both exist (configurable)', async () => {
  const traceparentRoot = '0af7651916cd43dd8448eb211c80319c';
  const apiGatewayEvent = {
    httpMethod: 'GET',
    path: '/orders',
    requestContext: { stage: 'prod' },
    headers: { Host: 'api.example.com', 'X-Forwarded-Proto': 'https', traceparent: `00-${traceparentRoot}-b7ad6b7169203331-01` },
  };
  const run = async (fn, traceHeader, env) => {
    await runLambda({ fn, invocations: [{ event: apiGatewayEvent, traceHeader }], env });
    return invocationSpans(fn)[0];
  };

  const headersOnly = await run('fn-apigw-headers-only', undefined);
  assert.equal(headersOnly.traceId, traceparentRoot);
  assert.equal(headersOnly.parentSpanId, 'b7ad6b7169203331');
  assert.equal(headersOnly.attributes['faas.trigger'], 'http');

  const both = await run('fn-apigw-both', xrayEnv(ROOT, '53995c3f42cd8ad8'));
  assert.equal(both.traceId, ROOT, 'X-Ray env context wins by default');
  assert.equal(both.parentSpanId, '53995c3f42cd8ad8');

  const headersFirst = await run('fn-apigw-headers-first', xrayEnv(ROOT, '53995c3f42cd8ad8'), { OTEL_XRAY_DD_LAMBDA_PARENT: 'headers' });
  assert.equal(headersFirst.traceId, traceparentRoot, 'OTEL_XRAY_DD_LAMBDA_PARENT=headers prefers the event headers');
});

test('a collector that never answers: no invocation waits for its answer, and one warning says so', async () => {
  const hanging = await startOtlpReceiver({ behaviour: 'hang' });
  try {
    const { lines, stderr } = await runLambda({
      fn: 'fn-hanging-collector',
      otlpUrl: hanging.url,
      env: { OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: '200' },
      invocations: ['d8', 'd9', 'da', 'db', 'dc'].map((end) => ({ event: {}, traceHeader: xrayEnv(ROOT, `53995c3f42cd8a${end}`) })),
    });
    assert.deepEqual(
      lines.map((l) => l.ok),
      [true, true, true, true, true],
    );
    for (const line of lines) assert.ok(line.tookMs < 1500, `invocation took ${line.tookMs} ms with a 200 ms flush budget`);
    const warnings = stderr.split('\n').filter((l) => l.includes('otel-xray-datadog:'));
    assert.equal(warnings.length, 1, `one diagnostic, not one per invocation:\n${stderr}`);
    assert.match(warnings[0], /has 4 requests waiting for an answer/);
    const probes = hanging.requests.filter((r) => r.body.length === 0);
    assert.equal(probes.length, 1, "init's export request without spans, which opens the connection");
    assert.equal(hanging.requests.length - probes.length, 5, "four requests left waiting, then the fifth invocation's span goes alone in the background");
  } finally {
    await hanging.close();
  }
});
