// Bundled applications keep their traces: real esbuild bundles of the framework fixtures (CommonJS
// and ES module output, minified, with source maps) run with the preload, against real PostgreSQL,
// MariaDB and Redis, through the real collector to the Datadog intake double. With our esbuild
// plugin a bundle shows Datadog what the same app shows unbundled; without it, what reaches Datadog
// is only what needs no plugin (the HTTP server, fetch(), fastify's routes through its
// diagnostics channel). And a bundled Lambda handler under AWS's runtime client, through the layer.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { startRecordingService } from '../harness/recording-service.mjs';
import { startTracedStack } from '../harness/traced-stack.mjs';
import { startMariaDb, startPostgres, startRedis } from '../harness/databases.mjs';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { prepareRuntime, ricCombos, startSandbox, unpackLayer } from '../harness/lambda-sandbox.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, startNode } from '../harness/processes.mjs';

const { otelXrayDatadogPlugin } = await import(path.join(repoRoot, 'dist', 'esbuild.js'));

const apps = path.join(fixtures, 'apps');
const out = fs.mkdtempSync(path.join(os.tmpdir(), 'bundles-'));
let stack;
let intake;
let collector;
let dbs;
let downstream;
before(async () => {
  stack = await startTracedStack({ postgres: startPostgres, mariadb: startMariaDb, redis: startRedis });
  ({ intake, collector, servers: dbs } = stack);
  downstream = await startRecordingService();
});
after(async () => {
  await downstream?.close();
  await stack?.stop();
  fs.rmSync(out, { recursive: true, force: true });
});

/** esbuild as CDK's NodejsFunction and SAM run it, plus our plugin when asked. */
async function bundle(entry, { plugin, format = 'cjs', name, minify = false }) {
  fs.mkdirSync(path.join(out, name), { recursive: true });
  const outfile = path.join(out, name, `app.${format === 'esm' ? 'mjs' : 'cjs'}`);
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format,
    minify,
    keepNames: minify,
    sourcemap: true,
    external: ['pg-native'],
    // ES module output still has CommonJS libraries inside, which require Node's built-ins.
    banner: format === 'esm' ? { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } : undefined,
    plugins: plugin ? [otelXrayDatadogPlugin()] : [],
    logLevel: 'error',
  });
  return outfile;
}

/** Runs the app, makes one request, and returns what Datadog shows of that trace, ids left out. */
async function datadogView(file, service) {
  const app = await startNode(['--require', registerCjs, file], {
    env: cleanEnv({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
      OTEL_BSP_SCHEDULE_DELAY: '50',
      DD_SERVICE: service,
      POSTGRES_URL: dbs.postgres.url,
      MARIADB_URL: dbs.mariadb.url,
      REDIS_URL: dbs.redis.url,
      DOWNSTREAM_URL: downstream.url('/down'),
    }),
  });
  const before = downstream.requests.length;
  try {
    const res = await fetch(`http://127.0.0.1:${app.match[1]}/users/7`);
    assert.equal(res.status, 200, await res.clone().text());
    const server = await intake.waitFor(() => intake.spans().find((s) => s.service === service && s.meta['span.kind'] === 'server'), 30_000, `${service} server span`);
    // The fetch() to DOWNSTREAM_URL is the last thing the request does; its span ends before the server's.
    await intake.waitFor(() => intake.spans().some((s) => s.traceID === server.traceID && s.meta['span.kind'] === 'client' && s.meta['http.url']), 30_000, `${service} fetch span`);
    await new Promise((r) => setTimeout(r, 500));
    const trace = intake.spans().filter((s) => s.traceID === server.traceID);
    const byId = new Map(trace.map((s) => [s.spanID, s]));
    const depth = (s) => (byId.has(s.parentID) ? 1 + depth(byId.get(s.parentID)) : 0);
    const headers = downstream.requests.slice(before).at(-1).headers;
    return {
      spans: trace.map((s) => [depth(s), s.meta['span.kind'], s.name, s.resource, s.type, s.meta['db.system'] ?? '', s.meta['out.host'] ?? '']).sort(),
      downstreamJoins: headers?.traceparent !== undefined && BigInt(`0x${headers.traceparent.split('-')[1].slice(16)}`) === server.traceID,
    };
  } finally {
    await app.stop();
  }
}

const shape = (view) => view.spans.map(([depth, kind, name, resource]) => `${depth} ${kind} ${name} ${resource}`);

for (const framework of ['express', 'koa']) {
  test(`${framework}: a bundle built with the plugin shows Datadog the same trace as the app unbundled (CommonJS and ES module output)`, async () => {
    const entry = path.join(apps, `${framework}-app.cjs`);
    const unbundled = await datadogView(entry, `b-${framework}-src`);
    assert.ok(
      unbundled.spans.some(([, kind, , resource]) => kind === 'server' && resource === 'GET /users/:id'),
      JSON.stringify(unbundled.spans),
    );
    for (const format of ['cjs', 'esm']) {
      // ES module output from the app's ES module entry point (the CommonJS one starts only as the main module).
      const source = format === 'esm' ? path.join(apps, `${framework}-app.mjs`) : entry;
      const bundled = await datadogView(await bundle(source, { plugin: true, format, name: `${framework}-plugin-${format}` }), `b-${framework}-${format}`);
      assert.deepEqual(bundled.spans, unbundled.spans, `${format} bundle: the same spans, names, resources, types, db systems, hosts and depths`);
      assert.equal(bundled.downstreamJoins, true);
    }
    // Minified: the framework's middleware spans are named after minified functions (docs/bundling.md); everything else is the same.
    const minified = await datadogView(await bundle(entry, { plugin: true, minify: true, name: `${framework}-plugin-min` }), `b-${framework}-min`);
    const notMiddleware = (view) => view.spans.filter(([, kind]) => kind !== 'internal');
    assert.deepEqual(notMiddleware(minified), notMiddleware(unbundled));
    assert.equal(minified.spans.length, unbundled.spans.length);
    // Without the plugin the bundle still shows the HTTP server and fetch(), but not the route or the database calls.
    const bare = await datadogView(await bundle(entry, { plugin: false, name: `${framework}-bare` }), `b-${framework}-bare`);
    assert.equal(bare.downstreamJoins, true, 'fetch() is traced and carries the context with no plugin');
    assert.deepEqual(shape(bare), ['0 server http.server.request GET', '1 client http.client.request GET']);
  });
}

test("fastify bundled without any plugin: the route comes through its diagnostics channel, fetch() through undici's", async () => {
  const entry = path.join(apps, 'fastify-app.cjs');
  const bare = await datadogView(await bundle(entry, { plugin: false, name: 'fastify-bare' }), 'b-fastify-bare');
  const server = bare.spans.find(([, kind]) => kind === 'server');
  assert.equal(server[3], 'GET /users/:id');
  assert.equal(bare.downstreamJoins, true);
  assert.equal(bare.spans.filter(([, kind]) => kind === 'client').length, 1, JSON.stringify(bare.spans));
});

test('a bundle that inlines none of the catalog is byte for byte what esbuild makes without the plugin', async () => {
  const entry = path.join(fixtures, 'one-span.cjs');
  const [withPlugin, without] = [await bundle(entry, { plugin: true, name: 'plain-plugin' }), await bundle(entry, { plugin: false, name: 'plain-bare' })];
  assert.equal(fs.readFileSync(withPlugin, 'utf8'), fs.readFileSync(without, 'utf8'));
});

/** The bundled-handler fixture as CDK and SAM build it (CommonJS output), as `<dir>/index.js`. */
function bundleHandler(dir, extra = {}) {
  return build({
    entryPoints: [path.join(fixtures, 'lambda', 'bundled', 'handler.mjs')],
    outfile: path.join(dir, 'index.js'),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    external: ['pg-native'],
    logLevel: 'error',
    ...extra,
  });
}

// A bundled handler in Lambda, as CDK and SAM ship one (ES module exports bundled to CommonJS: getters
// that cannot be redefined): nodejs22.x and nodejs24.x under AWS's runtime client, through the layer.
for (const [nodeMajor, ricMajor] of ricCombos().filter(([n, r]) => (n === 22 && r === 3) || (n === 24 && r === 4))) {
  test(`Lambda (Node ${nodeMajor}, aws-lambda-ric ${ricMajor}.x): a bundled handler's library and fetch() spans are children of the invocation span`, async (t) => {
    prepareRuntime(nodeMajor, ricMajor);
    const opt = unpackLayer();
    const receiver = await startOtlpReceiver();
    const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-fn-'));
    t.after(async () => {
      await receiver.close();
      fs.rmSync(opt, { recursive: true, force: true });
      fs.rmSync(taskRoot, { recursive: true, force: true });
    });
    await bundleHandler(taskRoot, { minify: true, plugins: [otelXrayDatadogPlugin()] });
    const fn = `bundled-${nodeMajor}`;
    const fnEnv = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, POSTGRES_URL: dbs.postgres.url, DOWNSTREAM_URL: downstream.url('/from-lambda') };
    const sb = await startSandbox({
      nodeMajor,
      ricMajor,
      taskRoot,
      handler: 'index.handler',
      functionName: fn,
      execWrapper: path.join(opt, 'otel-xray-datadog-handler'),
      env: fnEnv,
    });
    t.after(() => sb.stop());
    const result = await sb.invoke({ event: { n: 3 }, traceId: 'Root=1-6d000000-000000000000000000000001;Parent=00000000000000d1;Sampled=1' });
    assert.equal(result.ok, true, `${JSON.stringify(result)}\n${sb.output().stderr}`);
    assert.deepEqual(result.body, { n: 3, downstream: 200 });
    const spans = await receiver.waitFor((all) => all.filter((s) => s.resource['faas.name'] === fn).length >= 4);
    const mine = spans.filter((s) => s.resource['faas.name'] === fn);
    const invocation = mine.find((s) => s.scope === 'otel-xray-datadog/aws-lambda');
    const query = mine.find((s) => s.name.startsWith('pg.query'));
    const fetchSpan = mine.find((s) => s.scope === '@opentelemetry/instrumentation-undici');
    assert.ok(invocation && query && fetchSpan, mine.map((s) => `${s.scope} ${s.name}`).join('\n'));
    for (const child of [query, fetchSpan]) {
      assert.equal(child.traceId, '6d000000000000000000000000000001');
      assert.equal(child.parentSpanId, invocation.spanId, `${child.name} is a child of the invocation span`);
    }
    assert.deepEqual(
      sb
        .output()
        .stderr.split('\n')
        .filter((l) => l.includes('otel-xray-datadog:')),
      [],
    );

    // The same handler bundled without the plugin: pg's calls are invisible, and one warning says why and what to do.
    const bareRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'bundled-fn-bare-'));
    t.after(() => fs.rmSync(bareRoot, { recursive: true, force: true }));
    await bundleHandler(bareRoot);
    const bare = await startSandbox({
      nodeMajor,
      ricMajor,
      taskRoot: bareRoot,
      handler: 'index.handler',
      functionName: `${fn}-bare`,
      execWrapper: path.join(opt, 'otel-xray-datadog-handler'),
      env: fnEnv,
    });
    t.after(() => bare.stop());
    for (let i = 0; i < 2; i++) assert.equal((await bare.invoke({ event: { n: i } })).ok, true, bare.output().stderr);
    await bare.waitForOutput(/is a bundle with/);
    const warnings = bare
      .output()
      .stderr.split('\n')
      .filter((l) => l.includes('otel-xray-datadog:'));
    assert.equal(warnings.length, 1, warnings.join('\n'));
    assert.match(
      warnings[0],
      /the handler \S+index\.js is a bundle with pg, pg-pool inside, which tracing cannot see there, so their calls make no spans: bundle with the otel-xray-datadog\/esbuild plugin/,
    );
  });
}
