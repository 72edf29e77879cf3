// import { start } from 'otel-xray-datadog': the setup-module entry point, in real processes.
// node-matrix: 22 24
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { cleanEnv, fixtures, runNode } from '../harness/processes.mjs';

let receiver;
before(async () => {
  receiver = await startOtlpReceiver();
});
after(() => receiver.close());

// A long batch delay: spans only leave early when forceFlush() sends them.
const env = (extra) => cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '60000', ...extra });
const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));

test('start() twice: one warning, the first handle and configuration are returned', async () => {
  const r = await runNode([path.join(fixtures, 'setup-module.cjs')], { env: env({ SCENARIO: 'twice', DD_SERVICE: 'first' }) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), { same: true, service: 'first' });
  assert.equal(r.stderr.split('\n').filter((l) => l.includes('more than once')).length, 1, r.stderr);
});

test('start(options): options override the environment; forceFlush() delivers before the app exits', async () => {
  const r = await runNode([path.join(fixtures, 'setup-module.cjs')], { env: env({ SCENARIO: 'options', DD_SERVICE: 'from-env', DD_ENV: 'env-env' }) });
  assert.equal(r.code, 0, r.stderr);
  const span = receiver.spans.find((s) => s.name === 'opt-span');
  assert.ok(span, 'span delivered by forceFlush');
  assert.equal(span.resource['service.name'], 'from-options');
  assert.equal(span.resource['deployment.environment.name'], 'opt-env');
  assert.equal(span.resource['service.version'], '5.0.0');
});

test('shutdown(): flushes, then tracing stops; later spans are not exported', async () => {
  const r = await runNode([path.join(fixtures, 'setup-module.cjs')], { env: env({ SCENARIO: 'flush-then-shutdown', DD_SERVICE: 'shutdown-svc' }) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), { done: true });
  const names = receiver.spans.filter((s) => s.resource['service.name'] === 'shutdown-svc').map((s) => s.name);
  assert.deepEqual(names, ['before-flush']);
});

test('ES module import of the setup module', async () => {
  const r = await runNode([path.join(fixtures, 'setup-module.mjs')], { env: env({ DD_SERVICE: 'esm-setup' }) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), { enabled: true, service: 'esm-setup' });
  assert.ok(receiver.spans.some((s) => s.name === 'esm-span' && s.resource['service.name'] === 'esm-setup'));
});

test('OTEL_SDK_DISABLED=true: start() returns a disabled handle whose methods resolve', async () => {
  const r = await runNode(
    [
      '--input-type=module',
      '-e',
      "import { start } from 'otel-xray-datadog'; const h = start(); await h.forceFlush(); await h.shutdown(); console.log(JSON.stringify({ enabled: h.enabled }));",
    ],
    { env: env({ OTEL_SDK_DISABLED: 'true' }) },
  );
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(lastJson(r.stdout), { enabled: false });
});
