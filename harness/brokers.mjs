// Private message brokers and a MongoDB wire-compatible server for the instrumentation tests,
// each a real server process on 127.0.0.1 with free ports and a temporary directory, stopped
// and removed on stop() and when the test process exits (the process handling of
// harness/databases.mjs). Installed by scripts/install-brokers.sh:
//
//   startRabbitMq()  RabbitMQ (Debian's rabbitmq-server) with its own epmd; AMQP 0-9-1 for amqplib
//   startKafka()     Apache Kafka in KRaft mode (one broker+controller) on the machine's JVM; for kafkajs
//   startFerretDb()  FerretDB on its SQLite backend: the MongoDB wire protocol, for mongodb and mongoose
//
// Each resolves { host, port, url, stop(), startMs, pid, dir, log() }.
import crypto from 'node:crypto';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort } from './collector.mjs';
import { removeDir, runTool, startServer, tempDir } from './databases.mjs';
import { repoRoot } from './processes.mjs';

const HOST = '127.0.0.1';

function handle(fields, servers, dir, startedAt) {
  const [main] = servers;
  let stopped;
  return {
    host: HOST,
    ...fields,
    startMs: Date.now() - startedAt,
    pid: main.pid,
    dir,
    log: main.log,
    // Stopped in order (the broker before the helpers it needs), then the directory removed.
    stop: () =>
      (stopped ??= (async () => {
        for (const server of servers) await server.stop();
        removeDir(dir);
      })()),
  };
}

/** Runs one of our install scripts and returns the last line it prints (the path it installed). */
function installed(script) {
  return execFileSync('bash', [path.join(repoRoot, 'scripts', script)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })
    .trim()
    .split('\n')
    .at(-1);
}

function rabbitMqServer() {
  const file = '/usr/lib/rabbitmq/bin/rabbitmq-server';
  if (!fs.existsSync(file)) throw new Error(`${file} not found: run scripts/install-brokers.sh (installs Debian's rabbitmq-server)`);
  return file;
}

function binary(name) {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const file = path.join(dir, name);
    if (dir && fs.existsSync(file)) return file;
  }
  throw new Error(`${name} not found on PATH: run scripts/install-brokers.sh`);
}

// ---------------------------------------------------------------- RabbitMQ

/**
 * RabbitMQ: its own epmd on a free port (never the machine's 4369), a node named
 * `otel-<random>@localhost` with its mnesia, logs and Erlang cookie under a temporary
 * directory, no plugins, AMQP on 127.0.0.1:<free port>, user `otel` with a random password
 * (administrator of vhost `/`). The first start of a node takes ~5 s.
 */
export async function startRabbitMq() {
  const startedAt = Date.now();
  const server = rabbitMqServer();
  const dir = tempDir('otel-rabbitmq-');
  const [amqpPort, epmdPort, distPort] = [await freePort(), await freePort(), await freePort()];
  const pass = crypto.randomBytes(12).toString('hex');
  const node = `otel-${crypto.randomBytes(4).toString('hex')}@localhost`;
  fs.writeFileSync(
    path.join(dir, 'rabbitmq.conf'),
    [
      `listeners.tcp.default = ${HOST}:${amqpPort}`,
      'default_user = otel',
      `default_pass = ${pass}`,
      'log.console = true',
      'log.console.level = info',
      'log.file = false',
      // Small and quick: no disk alarm on a busy CI disk, nothing kept.
      'disk_free_limit.absolute = 1MB',
    ].join('\n'),
  );
  fs.writeFileSync(path.join(dir, 'enabled_plugins'), '[].\n');
  const epmd = await startServer({
    name: 'epmd',
    file: binary('epmd'),
    args: ['-port', String(epmdPort), '-address', HOST, '-d'],
    dir,
    readyText: 'epmd running',
  });
  let broker;
  try {
    broker = await startServer({
      name: 'rabbitmq-server',
      file: server,
      dir,
      args: [],
      readyText: 'Server startup complete',
      env: {
        PATH: process.env.PATH,
        HOME: dir, // the Erlang cookie
        LANG: 'C.UTF-8',
        ERL_EPMD_PORT: String(epmdPort),
        RABBITMQ_NODENAME: node,
        RABBITMQ_DIST_PORT: String(distPort),
        RABBITMQ_CONFIG_FILE: path.join(dir, 'rabbitmq.conf'),
        RABBITMQ_ADVANCED_CONFIG_FILE: path.join(dir, 'advanced.config'),
        RABBITMQ_CONF_ENV_FILE: path.join(dir, 'rabbitmq-env.conf'), // absent: not the machine's /etc/rabbitmq one
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(dir, 'enabled_plugins'),
        RABBITMQ_MNESIA_BASE: path.join(dir, 'mnesia'),
        RABBITMQ_LOG_BASE: path.join(dir, 'log'),
        RABBITMQ_PID_FILE: path.join(dir, 'rabbitmq.pid'),
        RABBITMQ_PLUGINS_EXPAND_DIR: path.join(dir, 'plugins-expand'),
        RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-start_epmd false',
      },
    });
  } catch (error) {
    await epmd.stop();
    removeDir(dir);
    throw error;
  }
  return handle({ port: amqpPort, user: 'otel', password: pass, url: `amqp://otel:${pass}@${HOST}:${amqpPort}/`, node }, [broker, epmd], dir, startedAt);
}

// ---------------------------------------------------------------- Kafka

/**
 * Apache Kafka (scripts/install-kafka.sh: the broker's jars from Maven Central) in KRaft mode:
 * one process that is both broker and controller, PLAINTEXT on 127.0.0.1:<free port>, its log
 * directory formatted fresh in a temporary directory, internal topics with one partition and
 * one replica, consumer groups that start without the initial rebalance delay.
 */
export async function startKafka() {
  const startedAt = Date.now();
  const libs = installed('install-kafka.sh');
  const java = binary('java');
  const dir = tempDir('otel-kafka-');
  const [port, controllerPort] = [await freePort(), await freePort()];
  const config = path.join(dir, 'server.properties');
  fs.writeFileSync(
    config,
    [
      'process.roles=broker,controller',
      'node.id=1',
      `controller.quorum.voters=1@${HOST}:${controllerPort}`,
      `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${controllerPort}`,
      `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
      'controller.listener.names=CONTROLLER',
      'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
      'inter.broker.listener.name=PLAINTEXT',
      `log.dirs=${path.join(dir, 'data')}`,
      'num.partitions=1',
      'auto.create.topics.enable=true',
      'offsets.topic.num.partitions=1',
      'offsets.topic.replication.factor=1',
      'transaction.state.log.num.partitions=1',
      'transaction.state.log.replication.factor=1',
      'transaction.state.log.min.isr=1',
      'share.coordinator.state.topic.replication.factor=1',
      'share.coordinator.state.topic.min.isr=1',
      'group.initial.rebalance.delay.ms=0',
      'log.flush.interval.messages=1000000',
    ].join('\n'),
  );
  // A JVM sized for tests on 2 cores: small heap, serial GC, quick start over peak speed.
  const jvm = ['-Xms128m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Djava.awt.headless=true', '-Dlog4j2.level=INFO', '-cp', `${libs}/*`];
  try {
    const clusterId = (await runTool(java, [...jvm, 'kafka.tools.StorageTool', 'random-uuid'], { cwd: dir })).trim().split('\n').at(-1);
    await runTool(java, [...jvm, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', config], { cwd: dir });
  } catch (error) {
    removeDir(dir);
    throw error;
  }
  const broker = await startServer({
    name: 'kafka',
    file: java,
    dir,
    args: [...jvm, 'kafka.Kafka', config],
    readyText: 'Kafka Server started',
  });
  return handle({ port, brokers: `${HOST}:${port}`, url: `kafka://${HOST}:${port}` }, [broker], dir, startedAt);
}

// ---------------------------------------------------------------- FerretDB

/**
 * FerretDB (scripts/build-ferretdb.sh) on its SQLite backend: the MongoDB wire protocol on
 * 127.0.0.1:<free port>, one SQLite file per database under a temporary directory, no
 * telemetry, no debug listener, no authentication (FerretDB 1.x on SQLite has none).
 */
export async function startFerretDb() {
  const startedAt = Date.now();
  const ferretdb = installed('build-ferretdb.sh');
  const dir = tempDir('otel-ferretdb-');
  fs.mkdirSync(path.join(dir, 'data'));
  const port = await freePort();
  const server = await startServer({
    name: 'ferretdb',
    file: ferretdb,
    dir,
    args: [
      '--handler=sqlite',
      `--sqlite-url=file:${path.join(dir, 'data')}/`,
      `--state-dir=${dir}`,
      `--listen-addr=${HOST}:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      '--log-level=info',
    ],
    readyText: 'Listening on TCP',
  });
  return handle({ port, database: 'otel_test', url: `mongodb://${HOST}:${port}/otel_test` }, [server], dir, startedAt);
}
