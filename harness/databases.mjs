// Private database servers for the instrumentation tests: PostgreSQL, MariaDB and Redis,
// each a real server process of the Debian packages (scripts/install-test-services.sh),
// on 127.0.0.1 with a free port and a temporary data directory, stopped and removed on
// stop() and when the test process exits. Tuned for speed, not durability (no fsync,
// no persistence). Servers that refuse to run as root (postgres, mariadbd) run as the
// package's service user when the tests run as root, with the temporary directory
// handed to that user.
//
//   const pg = await startPostgres();
//   // { host, port, user, password, database, url, stop(), startMs, pid, dir, log() }
//   pg.url  // postgres://otel:…@127.0.0.1:PORT/otel_test
// stop() is idempotent and resolves once the server has exited and its directory is gone.
import { execFile, execFileSync, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './collector.mjs';
import { waitUntil } from './wait.mjs';

const HOST = '127.0.0.1';
const TEST_USER = 'otel';
const TEST_DATABASE = 'otel_test';
const READY_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

// ---------------------------------------------------------------- binaries

function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, name);
    if (dir && isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function missing(what) {
  return new Error(`${what} not found: run scripts/install-test-services.sh (installs postgresql, mariadb-server, redis-server)`);
}

/** A PostgreSQL program from the newest /usr/lib/postgresql/<major>/bin. */
export function postgresBinary(name) {
  const root = '/usr/lib/postgresql';
  let majors = [];
  try {
    majors = fs
      .readdirSync(root)
      .filter((d) => /^\d+(\.\d+)?$/.test(d))
      .sort((a, b) => Number(b) - Number(a));
  } catch {
    // no PostgreSQL installed
  }
  for (const major of majors) {
    const file = path.join(root, major, 'bin', name);
    if (isExecutable(file)) return file;
  }
  throw missing(`PostgreSQL's ${name} (under ${root}/*/bin)`);
}

function binary(name, fallbacks = []) {
  const found = onPath(name) ?? fallbacks.find(isExecutable);
  if (!found) throw missing(name);
  return found;
}

// ---------------------------------------------------------------- users and directories

/** When running as root: the uid/gid of a system user to run a server as; otherwise undefined (run as ourselves). */
function serviceUser(name) {
  if (typeof process.getuid !== 'function' || process.getuid() !== 0) return undefined;
  try {
    const uid = Number(execFileSync('id', ['-u', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return { name, uid, gid };
  } catch {
    throw new Error(`user ${name} not found: the server refuses to run as root and its Debian package creates that user (scripts/install-test-services.sh)`);
  }
}

function tempDir(prefix, owner) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  if (owner) fs.chownSync(dir, owner.uid, owner.gid);
  return dir;
}

function removeDir(dir) {
  try {
    fs.rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 50 });
  } catch {
    // best effort: a dying server may still be writing
  }
}

const password = () => crypto.randomBytes(12).toString('hex');

// ---------------------------------------------------------------- processes

// Servers still running when the test process ends are killed and their directories removed.
const live = new Set();
function killAll() {
  for (const server of live) {
    try {
      server.child.kill('SIGKILL');
    } catch {
      // already gone
    }
    removeDir(server.dir);
  }
  live.clear();
}
process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM']) {
  const onSignal = () => {
    killAll();
    // Keep the default behaviour (terminate with this signal) unless someone else handles it.
    process.removeListener(signal, onSignal);
    if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
  };
  process.on(signal, onSignal);
}

function run(file, args, { owner, cwd } = {}) {
  return new Promise((resolve, reject) => {
    execFile(file, args, { uid: owner?.uid, gid: owner?.gid, cwd, encoding: 'utf8', maxBuffer: 16 * 1024 * 1024, timeout: 60_000 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`${path.basename(file)} ${args.join(' ')} failed (${error.code ?? error.signal}):\n${stderr}${stdout}`));
      else resolve(stdout);
    });
  });
}

/**
 * Spawns a server, waits until its log says `readyText`, and returns a handle whose stop()
 * sends `stopSignal`, waits (SIGKILL after STOP_TIMEOUT_MS) and removes `dir`. `env`: the
 * server's environment (default: this process's).
 */
async function startServer({ name, file, args, owner, dir, readyText, stopSignal = 'SIGTERM', env }) {
  const child = spawn(file, args, { uid: owner?.uid, gid: owner?.gid, cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout.on('data', (d) => (log += d));
  child.stderr.on('data', (d) => (log += d));
  let spawnError;
  child.on('error', (e) => (spawnError = e));
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const server = { child, dir };
  live.add(server);

  const gone = () => spawnError || child.exitCode !== null || child.signalCode !== null;
  let stopped;
  const stop = () => {
    stopped ??= (async () => {
      if (!gone()) {
        child.kill(stopSignal);
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
        await exited;
        clearTimeout(timer);
      }
      live.delete(server);
      removeDir(dir);
    })();
    return stopped;
  };

  try {
    await waitUntil(() => log.includes(readyText) || gone(), {
      timeoutMs: READY_TIMEOUT_MS,
      what: `${name} to accept connections`,
      seen: () => `log so far:\n${log}`,
    });
  } catch (error) {
    await stop();
    throw error;
  }
  if (gone()) {
    await stop();
    throw new Error(`${name} exited before it accepted connections (${spawnError ?? `code ${child.exitCode}, signal ${child.signalCode}`}):\n${log}`);
  }
  return { stop, log: () => log, pid: child.pid, dir };
}

function handle(fields, server, startedAt) {
  return { host: HOST, ...fields, startMs: Date.now() - startedAt, pid: server.pid, dir: server.dir, log: server.log, stop: server.stop };
}

/** Runs a provisioning step (users, databases) on a started server; one that fails stops the server before its error goes on. */
async function provision(server, step) {
  try {
    await step();
  } catch (error) {
    await server.stop();
    throw error;
  }
}

// ---------------------------------------------------------------- PostgreSQL

/**
 * PostgreSQL (the newest major under /usr/lib/postgresql): initdb into a temporary directory,
 * postgres listening on 127.0.0.1:<free port> (Unix socket in the same directory), SCRAM
 * password authentication over TCP, a login role `otel` owning database `otel_test`.
 */
export async function startPostgres() {
  const startedAt = Date.now();
  const initdb = postgresBinary('initdb');
  const postgres = postgresBinary('postgres');
  const psql = postgresBinary('psql');
  const owner = serviceUser('postgres');
  const dir = tempDir('otel-pg-', owner);
  const data = path.join(dir, 'data');
  const port = await freePort();
  const pass = password();
  try {
    await run(initdb, ['-D', data, '-U', 'admin', '--auth-local=trust', '--auth-host=scram-sha-256', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      owner,
      cwd: dir,
    });
  } catch (error) {
    removeDir(dir);
    throw error;
  }
  const server = await startServer({
    name: 'postgres',
    file: postgres,
    owner,
    dir,
    args: [
      '-D',
      data,
      '-p',
      String(port),
      '-k',
      dir,
      '-c',
      `listen_addresses=${HOST}`,
      '-c',
      'fsync=off',
      '-c',
      'synchronous_commit=off',
      '-c',
      'full_page_writes=off',
      '-c',
      'max_connections=50',
      '-c',
      'shared_buffers=16MB',
      '-c',
      'huge_pages=off',
      '-c',
      'logging_collector=off',
      '-c',
      'log_destination=stderr',
    ],
    readyText: 'database system is ready to accept connections',
    stopSignal: 'SIGINT', // "fast" shutdown: disconnects clients, no waiting for them
  });
  const psqlArgs = ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-h', dir, '-p', String(port), '-U', 'admin', '-d', 'postgres'];
  await provision(server, () => run(psql, [...psqlArgs, '-c', `CREATE ROLE ${TEST_USER} LOGIN PASSWORD '${pass}'`, '-c', `CREATE DATABASE ${TEST_DATABASE} OWNER ${TEST_USER}`]));
  return handle({ port, user: TEST_USER, password: pass, database: TEST_DATABASE, url: `postgres://${TEST_USER}:${pass}@${HOST}:${port}/${TEST_DATABASE}` }, server, startedAt);
}

// ---------------------------------------------------------------- MariaDB

/**
 * MariaDB: mariadb-install-db into a temporary directory, mariadbd on 127.0.0.1:<free port>
 * (socket in the same directory, no binary log, small InnoDB buffers), user 'otel'@'%' with
 * a password and all privileges on database `otel_test`.
 */
export async function startMariaDb() {
  const startedAt = Date.now();
  const mariadbd = binary('mariadbd', ['/usr/sbin/mariadbd']);
  const installDb = binary('mariadb-install-db', ['/usr/bin/mariadb-install-db']);
  const client = binary('mariadb', ['/usr/bin/mariadb']);
  const owner = serviceUser('mysql');
  const dir = tempDir('otel-mariadb-', owner);
  const data = path.join(dir, 'data');
  const socket = path.join(dir, 'mariadbd.sock');
  const port = await freePort();
  const pass = password();
  const innodb = ['--innodb-buffer-pool-size=16M', '--innodb-log-file-size=8M', '--innodb-flush-log-at-trx-commit=0', '--innodb-doublewrite=0'];
  try {
    await run(installDb, ['--no-defaults', `--datadir=${data}`, '--auth-root-authentication-method=normal', '--skip-test-db', '--skip-name-resolve', ...innodb], {
      owner,
      cwd: dir,
    });
  } catch (error) {
    removeDir(dir);
    throw error;
  }
  const server = await startServer({
    name: 'mariadbd',
    file: mariadbd,
    owner,
    dir,
    args: [
      '--no-defaults',
      `--datadir=${data}`,
      `--socket=${socket}`,
      `--port=${port}`,
      `--bind-address=${HOST}`,
      `--pid-file=${path.join(dir, 'mariadbd.pid')}`,
      `--tmpdir=${dir}`,
      '--skip-name-resolve',
      '--skip-log-bin',
      '--max-connections=50',
      ...innodb,
    ],
    readyText: 'ready for connections',
  });
  await provision(server, () =>
    run(client, [
      '--no-defaults',
      `--socket=${socket}`,
      '-u',
      'root',
      '-e',
      `CREATE DATABASE ${TEST_DATABASE}; CREATE USER '${TEST_USER}'@'%' IDENTIFIED BY '${pass}'; GRANT ALL PRIVILEGES ON ${TEST_DATABASE}.* TO '${TEST_USER}'@'%';`,
    ]),
  );
  return handle({ port, user: TEST_USER, password: pass, database: TEST_DATABASE, url: `mysql://${TEST_USER}:${pass}@${HOST}:${port}/${TEST_DATABASE}` }, server, startedAt);
}

// ---------------------------------------------------------------- Redis

/**
 * Redis: redis-server on 127.0.0.1:<free port>, no persistence (--save '' --appendonly no),
 * working directory a temporary one, the `default` user protected by a password
 * (requirepass), database 0.
 */
export async function startRedis() {
  const startedAt = Date.now();
  const redisServer = binary('redis-server', ['/usr/bin/redis-server']);
  const dir = tempDir('otel-redis-');
  const port = await freePort();
  const pass = password();
  const server = await startServer({
    name: 'redis-server',
    file: redisServer,
    dir,
    args: ['--port', String(port), '--bind', HOST, '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--logfile', '', '--requirepass', pass],
    readyText: 'Ready to accept connections',
  });
  return handle({ port, user: 'default', password: pass, database: '0', url: `redis://default:${pass}@${HOST}:${port}/0` }, server, startedAt);
}

// ---------------------------------------------------------------- for other servers

// The same process handling (free port, temporary directory, ready line, stop on exit) for the
// message brokers and FerretDB of harness/brokers.mjs.
export { startServer, tempDir, removeDir, run as runTool };
