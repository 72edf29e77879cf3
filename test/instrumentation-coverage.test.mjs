// Broad coverage, loaded on demand: real express / koa / fastify / nest apps (CommonJS and
// ES module entry points) querying real PostgreSQL, MariaDB and Redis, logging with pino
// and winston, calling fetch(); spans go through the real collector to the Datadog intake
// double, and the assertions are what Datadog would show.
// node-matrix: 22 24
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { startRecordingService } from '../harness/recording-service.mjs';
import { startTracedStack } from '../harness/traced-stack.mjs';
import { startMariaDb, startPostgres, startRedis } from '../harness/databases.mjs';
import { cleanEnv, fixtures, registerCjs, registerEsm, repoRoot, runNode, startNode } from '../harness/processes.mjs';

const apps = path.join(fixtures, 'apps');
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
});

const appEnv = (service, extra = {}) =>
  cleanEnv({
    OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
    OTEL_BSP_SCHEDULE_DELAY: '50',
    DD_SERVICE: service,
    DD_ENV: 'coverage',
    DD_VERSION: '3.1.4',
    POSTGRES_URL: dbs.postgres.url,
    MARIADB_URL: dbs.mariadb.url,
    REDIS_URL: dbs.redis.url,
    ...extra,
  });
const preloadFor = (file) => (file.endsWith('.mjs') ? ['--import', registerEsm] : ['--require', registerCjs]);

for (const framework of ['express', 'koa', 'fastify', 'nest']) {
  for (const ext of ['cjs', 'mjs']) {
    test(`${framework} (${ext}): route resource, database and cache spans, fetch headers and log correlation as Datadog sees them`, async () => {
      const service = `cov-${framework}-${ext}`;
      const file = path.join(apps, `${framework}-app.${ext}`);
      const app = await startNode([...preloadFor(file), file], { env: appEnv(service, { DOWNSTREAM_URL: downstream.url('/down') }) });
      let stdout;
      try {
        const res = await fetch(`http://127.0.0.1:${app.match[1]}/users/7`);
        assert.equal(res.status, 200, await res.clone().text());
        const body = await res.json();
        assert.equal(body.postgres.id, 7);
        const server = await intake.waitFor(
          () => intake.spans().find((s) => s.service === service && s.resource === 'GET /users/:id'),
          30_000,
          `${service} server span named by its route`,
        );
        const trace = () => intake.spans().filter((s) => s.traceID === server.traceID);
        // The span that ran the app's statement or command (drivers also report connects).
        const byDb = (system) => trace().find((s) => (s.meta['db.system'] === system || s.meta['db.system.name'] === system) && /select|get/i.test(s.resource));
        await intake.waitFor(() => byDb('postgresql') && byDb('mysql') && byDb('redis'), 30_000, `${service} database spans in the same trace`);
        assert.match(byDb('postgresql').resource, /SELECT/i, 'SQL resource is the statement');
        assert.match(byDb('mysql').resource, /SELECT/i);
        assert.match(byDb('redis').resource, /get|set/i, 'Redis resource is the command');
        for (const span of [byDb('postgresql'), byDb('mysql'), byDb('redis')]) {
          assert.equal(span.service, service);
          assert.equal(span.meta['out.host'], '127.0.0.1', `host of ${span.resource}`);
          assert.ok(span.meta['peer.service'], `peer service of ${span.resource}: ${JSON.stringify(span.meta)}`);
        }
        // fetch(): a client span, and both trace headers on the wire pointing at this trace.
        const headers = downstream.requests.at(-1).headers;
        assert.ok(headers.traceparent, 'traceparent sent by fetch()');
        assert.ok(headers['x-amzn-trace-id'], 'X-Amzn-Trace-Id sent by fetch()');
        const traceparentId = headers.traceparent.split('-')[1];
        assert.equal(BigInt(`0x${traceparentId.slice(16)}`), server.traceID, 'downstream joins the same trace');
        const fetchSpans = trace().filter((s) => s.meta['span.kind'] === 'client' && s.meta['http.url'] !== undefined);
        assert.equal(fetchSpans.length, 1, `one HTTP client span, the fetch(): ${JSON.stringify(fetchSpans.map((s) => s.meta['http.url']))}`);
        assert.match(fetchSpans[0].resource, /^GET\b/);
        assert.match(fetchSpans[0].meta['http.url'], /^http:\/\/127\.0\.0\.1:\d+\/down$/);
      } finally {
        await app.stop();
        stdout = app.output().stdout;
      }
      // pino and winston records carry Datadog's correlation fields.
      const records = stdout
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l))
        .filter((r) => r.dd);
      const pinoLine = records.find((r) => r.msg === 'pino: loading user');
      const winstonLine = records.find((r) => r.message === 'winston: loaded user');
      for (const [which, record] of [
        ['pino', pinoLine],
        ['winston', winstonLine],
      ]) {
        assert.ok(record, `${which} record with dd fields in:\n${stdout}`);
        assert.match(record.dd.trace_id, /^\d+$/, `${which}: decimal 64-bit trace id`);
        assert.match(record.dd.span_id, /^\d+$/);
        assert.deepEqual([record.dd.service, record.dd.env, record.dd.version], [service, 'coverage', '3.1.4']);
        assert.ok(
          intake.spans().some((s) => s.traceID.toString() === record.dd.trace_id && s.spanID.toString() === record.dd.span_id),
          `${which}: ids of a span Datadog has`,
        );
      }
    });
  }
}

test('fetch() between two traced processes is one trace', async () => {
  const server = await startNode(['--require', registerCjs, path.join(apps, 'no-libs.cjs')], { env: appEnv('cov-fetch-server') });
  try {
    for (const ext of ['cjs', 'mjs']) {
      const client = path.join(apps, `fetch-client.${ext}`);
      const r = await runNode([...preloadFor(client), client], { env: appEnv(`cov-fetch-client-${ext}`, { TARGET_URL: `http://127.0.0.1:${server.match[1]}/hello-${ext}` }) });
      assert.equal(r.code, 0, r.stderr);
      const clientSpan = await intake.waitFor(
        () => intake.spans().find((s) => s.service === `cov-fetch-client-${ext}` && s.meta['span.kind'] === 'client'),
        30_000,
        `fetch span of the ${ext} client`,
      );
      const serverSpan = await intake.waitFor(
        () =>
          intake
            .spans()
            .find((s) => (s.service === 'cov-fetch-server' && s.meta['http.target'] === `/hello-${ext}`) || (s.service === 'cov-fetch-server' && s.parentID === clientSpan.spanID)),
        30_000,
        'the server span',
      );
      assert.equal(serverSpan.traceID, clientSpan.traceID, `${ext}: one trace`);
      assert.equal(serverSpan.parentID, clientSpan.spanID, `${ext}: the server span is the fetch span's child`);
    }
  } finally {
    await server.stop();
  }
});

/** Which instrumentation packages a script's process has loaded, as it prints them. */
const LOADED = `const seen = new Set(Object.keys(require.cache).map((f) => /(?:@opentelemetry\\/|instrumentations\\/)instrumentation-([a-z0-9-]+)/.exec(f)?.[1]).filter(Boolean)); console.log(JSON.stringify([...seen].sort()));`;

test('laziness: an app that uses none of the table loads no instrumentation; express + pg loads exactly what it uses', async () => {
  const run = async (code, env = {}) => {
    const r = await runNode(['--require', registerCjs, '-e', code], { env: cleanEnv({ OTEL_SDK_DISABLED: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, ...env }) });
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').at(-1));
  };
  assert.deepEqual(await run(LOADED), []);
  assert.deepEqual(await run(`require('express'); require('pg'); ${LOADED}`), ['express', 'http', 'pg']);
  assert.deepEqual(await run(`require('express'); require('pg'); ${LOADED}`, { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' }), ['express', 'http']);
  assert.deepEqual(
    await run(`require('express'); require('pg'); require('ioredis'); ${LOADED}`, { OTEL_NODE_ENABLED_INSTRUMENTATIONS: '@opentelemetry/instrumentation-express,ioredis' }),
    ['express', 'ioredis'],
  );
});

test('laziness under the ES module hook: importing express and pg loads exactly those', async () => {
  const script = path.join(repoRoot, 'test', 'fixtures', 'apps', 'imports-express-pg.mjs');
  const r = await runNode(['--import', registerEsm, script], { env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl }) });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout.trim()), ['express', 'http', 'pg']);
});

test('a library loaded before tracing started: one warning naming it, and the app runs', async () => {
  const r = await runNode(['-e', `require('express'); require('pg'); const t = require(${JSON.stringify(repoRoot)}).start(); console.log(t.enabled)`], {
    env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl }),
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'true');
  const lines = r.stderr.split('\n').filter((l) => l.includes('loaded before tracing started'));
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0], /express, pg were loaded/);
});
