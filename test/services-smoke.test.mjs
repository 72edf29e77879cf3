// The instrumentation tests' infrastructure, without tracing: the private PostgreSQL,
// MariaDB and Redis servers (harness/databases.mjs) start and take the test credentials,
// and every framework fixture under fixtures/apps (CommonJS and ES module entry points)
// answers GET /users/7 from all three databases, logs with pino and winston, and calls
// its downstream with fetch(); the plain http service and the fetch() client run too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import pg from 'pg';
import mysql from 'mysql2/promise';
import Redis from 'ioredis';
import { startMariaDb, startPostgres, startRedis } from '../harness/databases.mjs';
import { cleanEnv, fixtures, runNode, startNode } from '../harness/processes.mjs';
import { startRecordingService } from '../harness/recording-service.mjs';

const apps = path.join(fixtures, 'apps');
const frameworks = ['express', 'koa', 'fastify', 'nest'];

let postgres;
let mariadb;
let redis;
let downstream;

before(async () => {
  // Started together: each is mostly waiting on its own disk and process start.
  [postgres, mariadb, redis] = await Promise.all([startPostgres(), startMariaDb(), startRedis()]);
  downstream = await startRecordingService();
});

after(async () => {
  await downstream?.close();
  await Promise.all([postgres?.stop(), mariadb?.stop(), redis?.stop()]);
});

const downstreamUrl = () => downstream.url('/downstream');
const allBackends = () => ({ POSTGRES_URL: postgres.url, MARIADB_URL: mariadb.url, REDIS_URL: redis.url, DOWNSTREAM_URL: downstreamUrl() });

/** uid of a running process, from /proc. */
function uidOf(pid) {
  const line = fs
    .readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('Uid:'));
  return Number(line.split(/\s+/)[1]);
}

function alive(pid) {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its new parent) counts as gone.
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

test('PostgreSQL, MariaDB and Redis run privately on 127.0.0.1 and take the test credentials', async (t) => {
  t.diagnostic(`start: postgres ${postgres.startMs} ms, mariadb ${mariadb.startMs} ms, redis ${redis.startMs} ms (started together)`);
  for (const server of [postgres, mariadb, redis]) {
    assert.equal(server.host, '127.0.0.1');
    assert.ok(server.port > 0 && server.password.length >= 16 && server.user && server.database !== undefined);
    assert.ok(fs.existsSync(server.dir), `data directory ${server.dir}`);
  }
  if (process.getuid?.() === 0) {
    assert.notEqual(uidOf(postgres.pid), 0, 'postgres runs as a non-root user');
    assert.notEqual(uidOf(mariadb.pid), 0, 'mariadbd runs as a non-root user');
  }

  const pgClient = new pg.Client({ connectionString: postgres.url });
  await pgClient.connect();
  try {
    const { rows } = await pgClient.query('SELECT current_user AS user, current_database() AS db, $1::int AS id', [7]);
    assert.deepEqual(rows, [{ user: 'otel', db: 'otel_test', id: 7 }]);
  } finally {
    await pgClient.end();
  }
  const wrongPg = new pg.Client({ host: postgres.host, port: postgres.port, user: postgres.user, password: 'wrong', database: postgres.database });
  await assert.rejects(wrongPg.connect(), /password authentication failed/);

  const my = await mysql.createConnection({ uri: mariadb.url });
  try {
    const [rows] = await my.query('SELECT CURRENT_USER() AS user, DATABASE() AS db, ? AS id', [7]);
    assert.deepEqual(
      rows.map((r) => ({ ...r })),
      [{ user: 'otel@%', db: 'otel_test', id: 7 }],
    );
  } finally {
    await my.end();
  }
  await assert.rejects(mysql.createConnection({ host: mariadb.host, port: mariadb.port, user: mariadb.user, password: 'wrong' }), /Access denied/);

  const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  try {
    assert.equal(await client.set('smoke', '1'), 'OK');
    assert.equal(await client.get('smoke'), '1');
  } finally {
    client.disconnect();
  }
  // Without the password the server answers nothing but NOAUTH (raw RESP, no client library).
  const reply = await new Promise((resolve, reject) => {
    const socket = net.connect(redis.port, redis.host, () => socket.write('*2\r\n$3\r\nGET\r\n$5\r\nsmoke\r\n'));
    socket.once('data', (d) => {
      socket.destroy();
      resolve(String(d));
    });
    socket.once('error', reject);
  });
  assert.match(reply, /^-NOAUTH/);
});

for (const framework of frameworks) {
  for (const ext of ['cjs', 'mjs']) {
    const entry = ext === 'cjs' ? 'cjs' : 'esm';
    test(`${framework}-app.${ext} answers GET /users/7 from PostgreSQL, MariaDB, Redis and its downstream`, async (t) => {
      const started = Date.now();
      const app = await startNode([path.join(apps, `${framework}-app.${ext}`)], { env: cleanEnv(allBackends()) });
      try {
        const ready = Date.now();
        const seenBefore = downstream.requests.length;
        const res = await fetch(`http://127.0.0.1:${app.match[1]}/users/7`);
        const body = await res.json();
        t.diagnostic(`ready in ${ready - started} ms, request ${Date.now() - ready} ms`);
        assert.equal(res.status, 200, JSON.stringify(body));
        assert.deepEqual(body, {
          framework,
          entry,
          id: 7,
          postgres: { id: 7 },
          mariadb: { id: 7 },
          redis: { set: 'OK', get: { id: 7 } },
          downstream: { status: 200, body: { downstream: true, path: '/downstream' } },
        });
        assert.equal(downstream.requests.length, seenBefore + 1, 'one fetch() to the downstream');

        const lines = app
          .output()
          .stdout.split('\n')
          .filter((l) => l.startsWith('{'))
          .map((l) => JSON.parse(l));
        const pinoLines = lines.filter((l) => l.msg === 'pino: loading user');
        const winstonLines = lines.filter((l) => l.message === 'winston: loaded user');
        assert.equal(pinoLines.length, 1, 'one pino line');
        assert.equal(winstonLines.length, 1, 'one winston line');
        assert.equal(pinoLines[0].userId, 7);
        assert.equal(winstonLines[0].userId, 7);
        assert.equal(pinoLines[0].app, `${framework}-${entry}`);
      } finally {
        await app.stop();
      }
    });
  }
}

test('a fixture app uses only the databases whose variables are set', async () => {
  const app = await startNode([path.join(apps, 'express-app.cjs')], { env: cleanEnv({ REDIS_URL: redis.url }) });
  try {
    const res = await fetch(`http://127.0.0.1:${app.match[1]}/users/7`);
    assert.deepEqual(await res.json(), { framework: 'express', entry: 'cjs', id: 7, redis: { set: 'OK', get: { id: 7 } } });
  } finally {
    await app.stop();
  }
});

test('no-libs.cjs serves plain HTTP', async () => {
  const app = await startNode([path.join(apps, 'no-libs.cjs')]);
  try {
    const res = await fetch(`http://127.0.0.1:${app.match[1]}/users/7`);
    assert.deepEqual(await res.json(), { ok: true, path: '/users/7' });
  } finally {
    await app.stop();
  }
});

for (const ext of ['cjs', 'mjs']) {
  test(`fetch-client.${ext} calls the URL with fetch() and prints the response`, async () => {
    const seenBefore = downstream.requests.length;
    const { code, stdout, stderr } = await runNode([path.join(apps, `fetch-client.${ext}`)], { env: cleanEnv({ TARGET_URL: downstreamUrl() }) });
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), 'response 200 {"downstream":true,"path":"/downstream"}');
    assert.equal(downstream.requests.length, seenBefore + 1);
    assert.equal(downstream.requests.at(-1).headers['x-fetch-client'], ext === 'cjs' ? 'cjs' : 'esm');
  });
}

test('stop() ends each server and removes its directory', async () => {
  const servers = [postgres, mariadb, redis];
  await Promise.all(servers.map((s) => s.stop()));
  for (const server of servers) {
    assert.equal(fs.existsSync(server.dir), false, `${server.dir} removed`);
    assert.equal(alive(server.pid), false, `pid ${server.pid} gone`);
  }
});
