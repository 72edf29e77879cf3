// Which requires of a built-in switch its instrumentation on (src/loading/on-demand-loader.ts): the
// Lambda runtime client's own require of node:http, and the AWS SDK's, do not; the application's
// first require does, and patches the built-in that the runtime client loaded before it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { createRequire } from 'node:module';
import { SpanKind } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { installOnDemandLoader, requesterRule } from '../../../dist/loading/on-demand-loader.js';
import { BUILDERS } from '../../../dist/instrumentations/builders.js';

const parent = (filename) => ({ filename });
const HTTP_PENDING = new Map([
  ['http', 'http'],
  ['https', 'http'],
  ['pg', 'pg'],
]);

test('the runtime client and, for http, the AWS SDK do not count as requesters; everyone else does', () => {
  const counts = requesterRule(HTTP_PENDING, '/var/runtime');
  assert.equal(counts('http', parent('/var/runtime/index.mjs')), false, 'the managed runtime');
  assert.equal(counts('http', parent('/var/runtime/node_modules/x/index.js')), false);
  assert.equal(counts('http', parent('/function/node_modules/aws-lambda-ric/dist/index.mjs')), false, 'aws-lambda-ric in a container image');
  assert.equal(counts('https', parent('/var/task/node_modules/@smithy/node-http-handler/dist-cjs/index.js')), false);
  assert.equal(counts('http', parent('/var/task/node_modules/@aws-sdk/credential-provider-http/dist-cjs/index.js')), false);
  assert.equal(counts('http', parent('/var/task/index.js')), true, "the handler's own require");
  assert.equal(counts('http', parent('/var/task/node_modules/axios/dist/node/axios.cjs')), true, 'any other package');
  assert.equal(counts('http', parent('/var/runtimes/index.js')), true, 'only the runtime directory itself');
  assert.equal(counts('pg', parent('/var/task/node_modules/@smithy/x/index.js')), true, 'notTriggeredFrom is per instrumentation');
  assert.equal(counts('http', undefined), true, 'no parent (the main module)');
  assert.equal(requesterRule(HTTP_PENDING, undefined)('http', parent('/var/runtime/index.mjs')), true, 'outside Lambda /var/runtime is an ordinary directory');
});

test("a built-in the runtime client loaded first is patched at the application's first require of it", async (t) => {
  const exporter = new InMemorySpanExporter();
  const tracerProvider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const context = { logCorrelation: { service: 's', env: 'none' }, messaging: { eventBridgeInject: false, kinesisInject: false, maxLinks: 10 } };
  const loader = installOnDemandLoader({ enabled: new Set(['http']), eager: [], build: (name) => BUILDERS[name](context), tracerProvider });
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());

  const fromRuntime = createRequire('/opt/rt/node_modules/aws-lambda-ric/dist/index.mjs')('node:http');
  createRequire('/var/task/node_modules/@smithy/node-http-handler/dist-cjs/index.js')('https');
  assert.deepEqual(loader.loaded, [], 'the runtime client and the SDK built nothing');
  assert.equal(fromRuntime.request.__wrapped, undefined);

  const fromApp = createRequire('/var/task/index.js')('http');
  assert.deepEqual(loader.loaded, ['http']);
  assert.equal(fromApp, fromRuntime, 'one exports object');
  assert.equal(fromApp.request.__wrapped, true, 'patched in place, for the runtime client too');
  assert.equal(createRequire('/var/task/index.js')('https').request.__wrapped, true, 'https, passed over before, is patched at its next require');

  await new Promise((resolve, reject) => fromApp.get(`http://127.0.0.1:${server.address().port}/x`, (res) => res.resume().on('end', resolve)).on('error', reject));
  // The server was made from the same http before the patch: its requests are traced too.
  const spans = exporter.getFinishedSpans().map((span) => [SpanKind[span.kind], span.name, span.attributes['http.response.status_code']]);
  assert.deepEqual(spans.sort(), [
    ['CLIENT', 'GET', 200],
    ['SERVER', 'GET', 200],
  ]);
});
