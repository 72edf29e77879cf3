// No literal value leaves by default (issue 24, item 3). A real traced Express app
// (test/fixtures/apps/literal-app.cjs) writes secrets into SQL statements for real
// PostgreSQL and MariaDB servers, binds secrets as parameters, keeps a session token in a
// Redis key and a secret in its value, and calls a downstream service with fetch(), a
// token in the query string and an Authorization header; the test calls it with a token
// in the query string, an Authorization header and a cookie. The database passwords (in
// the connection URLs) are planted too. The spans go through the real collector to the
// Datadog intake double, and every field Datadog receives is searched for every planted
// value: span service, name, resource, type, every meta key and value, metrics, span
// links, the chunk / tracer / agent payload tags, the APM stats groups (when any arrive:
// the exporter flushes them by 10 s buckets, so a run usually has none; they carry the
// span's resource, which is checked on the spans); and, as a net for fields the double
// does not decode, the raw (decompressed) bodies of every request the collector made to
// the intake (traces, series, validate).
//
// Expected: by default, no planted value anywhere. With an opt-in, exactly in the fields
// that opt-in names:
//   OTEL_XRAY_DD_HTTP_KEEP_QUERY=true    query strings, in the URL attributes
//   OTEL_XRAY_DD_DB_KEEP_STATEMENTS=true SQL text as the app wrote it (inline literals),
//                                        in db.statement / db.query.text
//   OTEL_XRAY_DD_DB_KEEP_COMMANDS=true   Redis keys, in db.statement / db.query.text
// Never, opt-in or not: bound parameters, Redis values, headers, passwords.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { startCollector } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { startMariaDb, startPostgres, startRedis } from '../harness/databases.mjs';
import { cleanEnv, fixtures, registerCjs, startNode } from '../harness/processes.mjs';
import { startRecordingService } from '../harness/recording-service.mjs';
import { listenOnLoopback } from '../harness/loopback.mjs';

const APP = path.join(fixtures, 'apps', 'literal-app.cjs');

let intake;
let recorder;
let dbs;
let downstream;

before(async () => {
  intake = await startDatadogIntake();
  recorder = await startRecorder(intake.url);
  const [postgres, mariadb, redis] = await Promise.all([startPostgres(), startMariaDb(), startRedis()]);
  dbs = { postgres, mariadb, redis };
  // The service the app calls: untraced, it records what it was sent.
  downstream = await startRecordingService();
});
after(async () => {
  await downstream?.close();
  await Promise.all(Object.values(dbs ?? {}).map((db) => db.stop()));
  await recorder?.close();
  await intake?.close();
});

/**
 * Between the collector and the intake double: forwards every request unchanged and keeps
 * its body decompressed, so a planted value in a field the double does not decode is found.
 */
async function startRecorder(target) {
  const bodies = [];
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      const body = Buffer.concat(chunks);
      const encoding = req.headers['content-encoding'];
      const entry = { path: req.url.split('?')[0], encoding };
      try {
        entry.raw = encoding === 'gzip' ? zlib.gunzipSync(body) : encoding === 'deflate' ? zlib.inflateSync(body) : encoding ? undefined : body;
      } catch (error) {
        entry.error = String(error);
      }
      bodies.push(entry);
      try {
        const headers = { ...req.headers };
        delete headers.host;
        delete headers['content-length'];
        const answer = await fetch(`${target}${req.url}`, { method: req.method, headers, body: ['GET', 'HEAD'].includes(req.method) ? undefined : body });
        res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
        res.end(Buffer.from(await answer.arrayBuffer()));
      } catch (error) {
        res.writeHead(502);
        res.end(String(error));
      }
    });
  });
  const listening = await listenOnLoopback(server);
  return {
    url: listening.url,
    bodies,
    close: listening.close,
  };
}

/** Fresh secret literals for one run: distinct from each other and from anything else at the intake. */
function plant() {
  const hex = () => crypto.randomBytes(8).toString('hex');
  const digits = () => `9${crypto.randomInt(100_000_000, 999_999_999)}`;
  return {
    PG_EMAIL: `pg-${hex()}@example.com`, // inline string literal, PostgreSQL
    PG_PIN: digits(), // inline number literal, PostgreSQL
    PG_BOUND: `pgbound-${hex()}@example.com`, // bound parameter ($1), PostgreSQL
    MARIA_EMAIL: `maria-${hex()}@example.com`, // inline string literal, MariaDB
    MARIA_PIN: digits(), // inline number literal, MariaDB
    MARIA_BOUND: `mariabound-${hex()}@example.com`, // bound parameter (?), MariaDB
    REDIS_TOKEN: `tok${hex()}`, // in the Redis key session:<token>
    REDIS_VALUE: `val${hex()}`, // the value SET stores
    FETCH_TOKEN: `ftok${hex()}`, // ?token= of the outgoing fetch()
    FETCH_AUTH: `fauth${hex()}`, // Authorization: Bearer … of the outgoing fetch()
    IN_TOKEN: `itok${hex()}`, // ?token= of the incoming request
    IN_AUTH: `iauth${hex()}`, // Authorization: Bearer … of the incoming request
    IN_COOKIE: `icook${hex()}`, // Cookie: session=… of the incoming request
  };
}

/** Every string Datadog received, as [where, text]: decoded fields first, with a readable path. */
function* receivedStrings() {
  for (const payload of intake.agentPayloads) {
    for (const [k, v] of Object.entries(payload.tags ?? {})) yield* pair('agent payload tags', k, v);
    for (const k of ['hostName', 'env', 'agentVersion']) yield [`agent payload ${k}`, String(payload[k] ?? '')];
    for (const tp of payload.tracerPayloads ?? []) {
      for (const [k, v] of Object.entries(tp.tags ?? {})) yield* pair('tracer payload tags', k, v);
      for (const k of ['containerID', 'languageName', 'languageVersion', 'tracerVersion', 'runtimeID', 'env', 'hostname', 'appVersion'])
        yield [`tracer payload ${k}`, String(tp[k] ?? '')];
      for (const chunk of tp.chunks ?? []) {
        for (const [k, v] of Object.entries(chunk.tags ?? {})) yield* pair('chunk tags', k, v);
        yield ['chunk origin', String(chunk.origin ?? '')];
        for (const span of chunk.spans ?? []) {
          const where = `span ${span.name}`;
          for (const k of ['service', 'name', 'resource', 'type']) yield [`${where} ${k}`, String(span[k] ?? '')];
          for (const [k, v] of Object.entries(span.meta ?? {})) yield* pair(`${where} meta`, k, v);
          for (const [k, v] of Object.entries(span.metrics ?? {})) yield* pair(`${where} metrics`, k, String(v));
          for (const link of span.spanLinks ?? []) {
            for (const k of ['traceID', 'traceIDHigh', 'spanID']) yield [`${where} span link ${k}`, String(link[k] ?? '')];
            for (const [k, v] of Object.entries(link.attributes ?? {})) yield* pair(`${where} span link attributes`, k, v);
          }
        }
      }
    }
  }
  for (const group of intake.stats()) {
    for (const [k, v] of Object.entries(group))
      yield [`stats ${group.Name} ${k}`, typeof v === 'object' ? JSON.stringify(v, (_, x) => (typeof x === 'bigint' ? String(x) : x)) : String(v)];
  }
}

function* pair(where, key, value) {
  yield [`${where} key`, key];
  yield [`${where}[${key}]`, String(value)];
}

/** For each planted name: the sorted, distinct places its value was found. */
function scan(literals) {
  const found = Object.fromEntries(Object.keys(literals).map((name) => [name, new Set()]));
  for (const [where, text] of receivedStrings()) {
    for (const [name, value] of Object.entries(literals)) if (text.includes(value)) found[name].add(where);
  }
  return Object.fromEntries(Object.entries(found).map(([name, places]) => [name, [...places].sort()]));
}

/** For each planted name: the intake paths whose raw bodies hold its value. */
function scanRaw(literals) {
  const found = Object.fromEntries(Object.keys(literals).map((name) => [name, new Set()]));
  for (const body of recorder.bodies) {
    if (!body.raw) continue;
    const text = body.raw.toString('latin1');
    for (const [name, value] of Object.entries(literals)) if (text.includes(value)) found[name].add(body.path);
  }
  return Object.fromEntries(Object.entries(found).map(([name, paths]) => [name, [...paths].sort()]));
}

/**
 * One run of the app with `env` on top of the defaults, its spans through a fresh
 * collector: resolves the scan of everything the intake received during the run.
 */
async function run(label, env) {
  const literals = plant();
  const service = `literal-${label}`;
  intake.agentPayloads.length = 0;
  intake.statsPayloads.length = 0;
  recorder.bodies.length = 0;
  const collector = await startCollector({ intakeUrl: recorder.url });
  let app;
  let resources;
  try {
    app = await startNode(['--require', registerCjs, APP], {
      env: cleanEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        DD_SERVICE: service,
        DD_ENV: 'literals',
        POSTGRES_URL: dbs.postgres.url,
        MARIADB_URL: dbs.mariadb.url,
        REDIS_URL: dbs.redis.url,
        DOWNSTREAM_URL: downstream.url('/down'),
        LITERALS: JSON.stringify(literals),
        ...env,
      }),
    });
    const res = await fetch(`http://127.0.0.1:${app.match[1]}/lookup?token=${literals.IN_TOKEN}`, {
      headers: { authorization: `Bearer ${literals.IN_AUTH}`, cookie: `session=${literals.IN_COOKIE}` },
    });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.deepEqual(JSON.parse(body), { ok: true, rows: [0, 0, 0, 0], redis: true, downstream: 200 });
    // The downstream got what the app sent: the planted values really were on the wire.
    const sent = downstream.requests.at(-1);
    assert.equal(sent.url, `/down?token=${literals.FETCH_TOKEN}`);
    assert.equal(sent.headers.authorization, `Bearer ${literals.FETCH_AUTH}`);

    // Every span the request made is at the intake before anything is scanned.
    const server = await intake.waitFor(
      () => intake.spans().find((s) => s.service === service && s.meta['span.kind'] === 'server' && s.resource === 'GET /lookup'),
      30_000,
      `${service}: the server span of GET /lookup`,
    );
    const trace = () => intake.spans().filter((s) => s.traceID === server.traceID);
    const system = (s) => s.meta['db.system'] ?? s.meta['db.system.name'];
    const ofTrace = () => ({
      postgresql: trace().filter((s) => system(s) === 'postgresql' && /literal_users/.test(s.resource)).length,
      mysql: trace().filter((s) => system(s) === 'mysql' && /literal_users/.test(s.resource)).length,
      redis: trace().filter((s) => system(s) === 'redis' && /^(SET|GET)\b/i.test(s.resource)).length,
      fetch: trace().filter((s) => s.meta['span.kind'] === 'client' && /\/down/.test(s.meta['http.url'] ?? '')).length,
    });
    await intake.waitFor(
      () => JSON.stringify(ofTrace()) === JSON.stringify({ postgresql: 2, mysql: 2, redis: 2, fetch: 1 }),
      30_000,
      `${service}: the statement, command and fetch spans of the request (so far ${JSON.stringify(ofTrace())})`,
    );
    // What Datadog names them by, which must stay useful once the literals are gone.
    const named = (kind) =>
      trace()
        .filter((s) => system(s) === kind)
        .map((s) => s.resource)
        .filter((r) => !/connect/.test(r))
        .sort();
    resources = { postgresql: named('postgresql'), mysql: named('mysql'), redis: named('redis') };
  } finally {
    await app?.stop();
    // A collector that has stopped has handed the intake everything it had.
    await collector.stop();
  }
  const undecoded = recorder.bodies.filter((b) => !b.raw).map((b) => `${b.path} (${b.encoding}${b.error ? `: ${b.error}` : ''})`);
  assert.deepEqual(undecoded, [], 'every body the collector sent could be searched');
  return { literals, resources, found: scan(literals), raw: scanRaw(literals) };
}

const nowhere = (literals) => Object.fromEntries(Object.keys(literals).map((name) => [name, []]));

/** Found in no decoded field means found in no raw body either: nothing hides in a field the double skips. */
function assertNothingUndecoded({ found, raw }) {
  const hidden = Object.keys(found).filter((name) => found[name].length === 0 && raw[name].length > 0);
  assert.deepEqual(
    hidden.map((name) => `${name} in ${raw[name].join(', ')}`),
    [],
    'planted values in fields the intake double does not decode',
  );
}

// Where the opt-ins keep what they keep, as measured through the collector in use. The
// exporter maps url.full to http.url; the incoming request has no full URL, only url.path and
// url.query. resource and sql.query are the exporter's own obfuscation of the statement
// (literals as ?), so a kept statement shows only in the two statement attributes.
const KEPT_QUERY_IN = ['span http.server.request meta[url.query]'];
const KEPT_QUERY_OUT = ['span http.client.request meta[http.url]', 'span http.client.request meta[url.query]'];
const KEPT_STATEMENT = (operation) => [`span ${operation} meta[db.query.text]`, `span ${operation} meta[db.statement]`];

test('by default no planted literal reaches Datadog: SQL literals and parameters, Redis keys and values, query strings, headers, passwords', async (t) => {
  const result = await run('default', {});
  t.diagnostic(`found by default: ${JSON.stringify(result.found)}`);
  assertNothingUndecoded(result);
  const credentials = { PG_PASSWORD: dbs.postgres.password, MARIADB_PASSWORD: dbs.mariadb.password, REDIS_PASSWORD: dbs.redis.password };
  assert.deepEqual(scan(credentials), nowhere(credentials), 'database passwords');
  assert.deepEqual(scanRaw(credentials), nowhere(credentials), 'database passwords, raw bodies');
  // Statements and commands are still told apart, by their shape.
  const sql = ['SELECT id FROM literal_users WHERE email = ?', 'SELECT id FROM literal_users WHERE email = ? AND pin = ?'];
  assert.deepEqual(result.resources, { postgresql: sql, mysql: sql, redis: ['GET', 'SET'] });
  assert.deepEqual(result.found, nowhere(result.literals));
});

test('OTEL_XRAY_DD_HTTP_KEEP_QUERY=true: the query strings, in the URL attributes only; nothing else', async (t) => {
  const result = await run('keep-query', { OTEL_XRAY_DD_HTTP_KEEP_QUERY: 'true' });
  t.diagnostic(`found with OTEL_XRAY_DD_HTTP_KEEP_QUERY=true: ${JSON.stringify(result.found)}`);
  assertNothingUndecoded(result);
  assert.deepEqual(result.found, {
    ...nowhere(result.literals),
    IN_TOKEN: KEPT_QUERY_IN,
    FETCH_TOKEN: KEPT_QUERY_OUT,
  });
  // The net under the decoded fields catches what it should: the kept query strings.
  assert.deepEqual([result.raw.IN_TOKEN, result.raw.FETCH_TOKEN], [['/api/v0.2/traces'], ['/api/v0.2/traces']]);
});

test('every opt-in on: raw statements and Redis keys where the opt-ins say; bound parameters, Redis values, headers never', async (t) => {
  const result = await run('keep-all', { OTEL_XRAY_DD_HTTP_KEEP_QUERY: 'true', OTEL_XRAY_DD_DB_KEEP_STATEMENTS: 'true', OTEL_XRAY_DD_DB_KEEP_COMMANDS: 'true' });
  t.diagnostic(`found with every opt-in: ${JSON.stringify(result.found)}`);
  assertNothingUndecoded(result);
  assert.deepEqual(result.found, {
    ...nowhere(result.literals),
    IN_TOKEN: KEPT_QUERY_IN,
    FETCH_TOKEN: KEPT_QUERY_OUT,
    PG_EMAIL: KEPT_STATEMENT('postgresql.query'),
    PG_PIN: KEPT_STATEMENT('postgresql.query'),
    MARIA_EMAIL: KEPT_STATEMENT('mysql.query'),
    MARIA_PIN: KEPT_STATEMENT('mysql.query'),
    REDIS_TOKEN: KEPT_STATEMENT('redis.query'),
  });
});
