// node-matrix: 22 24
// kafkajs and amqplib against real brokers: Apache Kafka in KRaft mode and RabbitMQ
// (harness/brokers.mjs), producer and consumer apps (CommonJS and ES module entry points)
// exporting through the real collector to the Datadog intake double, asserting what Datadog
// shows: producer span under the HTTP server span, consumer span in the other process under the
// producer span (one trace across the broker), the consumer's own work under the consumer span;
// and dd-trace 5 / 6 on the other side of each broker, in both directions.
//
// DATADOG below is what Datadog shows today for the spans the processor cannot name well; the
// comments say what a naming fix would change (see docs/instrumentations.md).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { startCollector } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { ddTraceEnv, nodeForDdTrace, startDatadogAgent } from '../harness/datadog-agent.mjs';
import { startKafka, startRabbitMq } from '../harness/brokers.mjs';
import { waitUntil } from '../harness/wait.mjs';
import { cleanEnv, fixtures, registerCjs, registerEsm, repoRoot, startNode } from '../harness/processes.mjs';
import { startRecordingService } from '../harness/recording-service.mjs';

const require = createRequire(path.join(repoRoot, 'package.json'));
const { Kafka, logLevel } = require('kafkajs');

const apps = path.join(fixtures, 'apps');
const J = (value) => JSON.stringify(value, (_, v) => (typeof v === 'bigint' ? String(v) : v), 1);
const preloadFor = (file) => (file.endsWith('.mjs') ? ['--import', registerEsm] : ['--require', registerCjs]);
const ENTRY = { cjs: 'cjs', mjs: 'esm' };
const u64 = (id) => BigInt.asUintN(64, BigInt(id));
const KAFKAJS_NODE24_WARNING =
  /^\(node:\d+\) TimeoutNegativeWarning: -\d+ is a negative number\.\nTimeout duration was set to 1\.\n\(Use `node --trace-warnings \.\.\.` to show where the warning was created\)\n/;

// What Datadog shows today for amqplib's spans ([operation name, resource, span.type] and the
// broker host): the instrumentation writes the legacy `messaging.destination` (the exchange, ''
// for the default one) and `messaging.rabbitmq.routing_key`, never `messaging.destination.name`,
// so the span processor gives no resource and the exporter falls back to the span name; it records
// server.address, which nothing turns into out.host. Proposed (span processor): resource = the
// exchange, or the routing key (the queue) on the default exchange, for both spans; out.host and
// peer.service = server.address ('127.0.0.1'). A naming change is made here, in one place.
const DATADOG = {
  amqpPublish: (queue) => ['rabbitmq.send', queue, 'custom'],
  amqpProcess: (queue) => ['rabbitmq.process', queue, 'custom'],
  amqpPeer: { outHost: '127.0.0.1', peerService: '127.0.0.1' },
};

let intake;
let collector;
let agent;
let kafka;
let rabbitmq;
let downstream;
const TOPICS = ['orders-cjs', 'orders-mjs', 'from-dd-trace', 'to-dd-trace', 'from-dd-trace-6', 'to-dd-trace-6'];

before(async () => {
  intake = await startDatadogIntake();
  [collector, agent, kafka, rabbitmq] = await Promise.all([startCollector({ intakeUrl: intake.url }), startDatadogAgent(), startKafka(), startRabbitMq()]);
  // Topics up front: no auto-creation race between the first producer and the consumer group.
  const admin = new Kafka({ clientId: 'test-admin', brokers: [kafka.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    assert.equal(await admin.createTopics({ topics: TOPICS.map((topic) => ({ topic, numPartitions: 1, replicationFactor: 1 })), waitForLeaders: true }), true);
  } finally {
    await admin.disconnect();
  }
  // An untraced service the consumers call while they handle a message.
  downstream = await startRecordingService();
});
after(async () => {
  await downstream?.close();
  await Promise.all([kafka?.stop(), rabbitmq?.stop()]);
  await agent?.close();
  await collector?.stop();
  await intake?.close();
});

const brokerEnv = (name, group) => ({
  KAFKA_BROKERS: kafka.brokers,
  KAFKA_TOPIC: name,
  ...(group ? { KAFKA_GROUP: group } : {}),
  AMQP_URL: rabbitmq.url,
  AMQP_QUEUE: name,
  KAFKAJS_NO_PARTITIONER_WARNING: '1',
  DOWNSTREAM_URL: downstream.url('/done'),
});
const ourEnv = (service, extra) =>
  cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '50', DD_SERVICE: service, DD_ENV: 'brokers', DD_VERSION: '1.0.0', ...extra });
const theirEnv = (service, extra) => cleanEnv(ddTraceEnv(agent.url, { DD_SERVICE: service, DD_ENV: 'brokers', ...extra }));

const consumed = (app) =>
  app
    .output()
    .stdout.split('\n')
    .filter((l) => l.startsWith('{"consumed"'))
    .map((l) => JSON.parse(l));

/** Waits until `app` printed one consumed line per broker, and returns them by broker. */
async function bothConsumed(app, what) {
  await waitUntil(() => consumed(app).length >= 2, { timeoutMs: 30_000, what: `${what}: a message from each broker`, seen: () => J(app.output()) });
  const lines = consumed(app);
  assert.equal(lines.length, 2, J(lines));
  return Object.fromEntries(lines.map((l) => [l.consumed, l]));
}

/** The intake's spans matching `match`, once there are `count`; exactly `count`. */
async function intakeSpans(match, count, what) {
  await intake
    .waitFor(() => intake.spans().filter(match).length >= count, 30_000, `${what}: ${count} span(s)`)
    .catch((error) => {
      throw new Error(`${error.message}\nspans so far: ${J(intake.spans().map((s) => [s.service, s.name, s.resource]))}`);
    });
  const found = intake.spans().filter(match);
  assert.equal(found.length, count, `${what}: exactly ${count} in ${J(found)}`);
  return found;
}

/** dd-trace's spans (agent double) matching `match`, once there are `count`; exactly `count`. */
async function agentSpans(match, count, what) {
  await agent
    .waitFor((spans) => spans.filter(match).length >= count, 30_000)
    .catch((error) => {
      throw new Error(`${what}: ${error.message}`);
    });
  const found = agent.spans.filter(match);
  assert.equal(found.length, count, `${what}: exactly ${count} in ${J(found)}`);
  return found;
}

for (const ext of ['cjs', 'mjs']) {
  test(`kafkajs and amqplib (${ext}): HTTP request -> producer -> Kafka / RabbitMQ -> consumer process, one Datadog trace`, async (t) => {
    const name = `orders-${ext}`;
    const producerService = `brk-producer-${ext}`;
    const consumerService = `brk-consumer-${ext}`;
    const producerFile = path.join(apps, `broker-producer.${ext}`);
    const consumerFile = path.join(apps, `broker-consumer.${ext}`);
    const [producer, consumer] = await Promise.all([
      startNode([...preloadFor(producerFile), producerFile], { env: ourEnv(producerService, brokerEnv(name, `workers-${ext}`)), timeoutMs: 30_000 }),
      startNode([...preloadFor(consumerFile), consumerFile], { env: ourEnv(consumerService, brokerEnv(name, `workers-${ext}`)), timeoutMs: 30_000 }),
    ]);
    let messages;
    try {
      const res = await fetch(`http://127.0.0.1:${producer.match[1]}/orders/7`);
      assert.equal(res.status, 200, await res.clone().text());
      assert.deepEqual(await res.json(), {
        entry: ENTRY[ext],
        id: '7',
        kafka: { topic: name, partition: 0, offset: '0' },
        amqp: { queue: name, confirmed: true },
      });
      assert.deepEqual(await (await fetch(`http://127.0.0.1:${producer.match[1]}/loaded`)).json(), ['amqplib', 'http', 'kafkajs']);
      messages = await bothConsumed(consumer, `${ext} consumer`);
    } finally {
      await Promise.all([producer.stop(), consumer.stop()]);
    }
    assert.deepEqual(messages, {
      kafka: { consumed: 'kafka', value: 'order 7', entry: ENTRY[ext], loaded: ['amqplib', 'http', 'kafkajs'] },
      amqp: { consumed: 'amqp', value: 'order 7', entry: ENTRY[ext], loaded: ['amqplib', 'http', 'kafkajs'] },
    });
    // kafkajs 2.2.4 itself (untraced too) schedules a negative timeout that Node 24 warns about
    // (network/requestQueue/index.js): that warning is the only stderr allowed.
    assert.equal(producer.output().stderr.replace(KAFKAJS_NODE24_WARNING, ''), '', 'the producer wrote nothing else to stderr');

    const [server] = await intakeSpans((s) => s.service === producerService && s.meta['url.path'] === '/orders/7', 1, "the producer's server span");
    assert.equal(server.name, 'http.server.request');
    assert.equal(server.resource, 'GET');
    const trace = await intakeSpans((s) => s.traceID === server.traceID, 7, 'the whole trace');
    const one = (what, match) => {
      const found = trace.filter(match);
      assert.equal(found.length, 1, `${what}: exactly one in ${J(trace)}`);
      return found[0];
    };

    await t.test('kafkajs: kafka.send (topic) under the request, kafka.process (topic) in the consumer under kafka.send', () => {
      const send = one('kafka.send', (s) => s.service === producerService && s.meta['messaging.system'] === 'kafka');
      const process = one('kafka.process', (s) => s.service === consumerService && s.meta['messaging.system'] === 'kafka');
      assert.deepEqual([send.name, send.resource, send.type, send.meta['span.kind']], ['kafka.send', name, 'custom', 'producer']);
      assert.equal(send.parentID, server.spanID, 'kafka.send is a child of the request');
      assert.equal(send.meta['messaging.destination.name'], name);
      assert.equal(send.meta['messaging.kafka.message.key'], '7');
      assert.deepEqual([process.name, process.resource, process.type, process.meta['span.kind']], ['kafka.process', name, 'custom', 'consumer']);
      assert.equal(process.parentID, send.spanID, 'the consumer span continues the producer span across Kafka');
      assert.equal(process.meta['otel.trace_id'], server.meta['otel.trace_id']);
      assert.equal(process.meta['messaging.kafka.offset'], '0');
      // kafkajs' instrumentation records no broker address: Datadog gets no out.host / peer.service.
      assert.equal(send.meta['out.host'], undefined);
      assert.equal(send.meta['peer.service'], undefined);
      const work = one("the consumer's HTTP call for the Kafka message", (s) => s.service === consumerService && s.meta['http.url']?.includes('/done/kafka/'));
      assert.equal(work.parentID, process.spanID, 'work done while handling the message is under kafka.process');
    });

    await t.test('amqplib: rabbitmq.send under the request, rabbitmq.process in the consumer under rabbitmq.send', () => {
      const publish = one('rabbitmq.send', (s) => s.service === producerService && s.meta['messaging.system'] === 'rabbitmq');
      const process = one('rabbitmq.process', (s) => s.service === consumerService && s.meta['messaging.system'] === 'rabbitmq');
      assert.deepEqual([publish.name, publish.resource, publish.type, publish.meta['span.kind']], [...DATADOG.amqpPublish(name), 'producer']);
      assert.equal(publish.parentID, server.spanID, 'rabbitmq.send is a child of the request');
      assert.equal(publish.meta['messaging.rabbitmq.routing_key'], name);
      assert.equal(publish.meta['messaging.destination'], '');
      assert.equal(publish.meta['messaging.url'], `amqp://otel:***@127.0.0.1:${rabbitmq.port}/`, 'the password is masked');
      assert.deepEqual([process.name, process.resource, process.type, process.meta['span.kind']], [...DATADOG.amqpProcess(name), 'consumer']);
      for (const span of [publish, process]) {
        assert.equal(span.meta['out.host'], DATADOG.amqpPeer.outHost, `${span.name}: out.host`);
        assert.equal(span.meta['peer.service'], DATADOG.amqpPeer.peerService, `${span.name}: peer.service`);
      }
      assert.equal(process.parentID, publish.spanID, 'the consumer span continues the producer span across RabbitMQ');
      assert.equal(process.meta['messaging.rabbitmq.routing_key'], name);
      const work = one("the consumer's HTTP call for the RabbitMQ message", (s) => s.service === consumerService && s.meta['http.url']?.includes('/done/amqp/'));
      assert.equal(work.parentID, process.spanID, 'work done while handling the message is under rabbitmq.process');
    });
  });
}

for (const ddTrace of ['dd-trace', 'dd-trace-6']) {
  test(`${ddTrace} on the other side of Kafka and RabbitMQ: one Datadog trace in both directions`, async (t) => {
    const node = nodeForDdTrace(ddTrace);
    const from = `from-${ddTrace}`;
    const to = `to-${ddTrace}`;
    const producerFile = path.join(apps, 'broker-producer.cjs');
    const consumerFile = path.join(apps, 'broker-consumer.cjs');
    const theirProducer = `${ddTrace}-producer`;
    const theirConsumer = `${ddTrace}-consumer`;
    const ourProducer = `our-producer-for-${ddTrace}`;
    const ourConsumer = `our-consumer-for-${ddTrace}`;
    const apps4 = await Promise.all([
      startNode(['--require', `${ddTrace}/init`, producerFile], { node, env: theirEnv(theirProducer, brokerEnv(from)), timeoutMs: 30_000 }),
      startNode(['--require', registerCjs, consumerFile], { env: ourEnv(ourConsumer, brokerEnv(from, `ours-${from}`)), timeoutMs: 30_000 }),
      startNode(['--require', registerCjs, producerFile], { env: ourEnv(ourProducer, brokerEnv(to)), timeoutMs: 30_000 }),
      startNode(['--require', `${ddTrace}/init`, consumerFile], { node, env: theirEnv(theirConsumer, brokerEnv(to, `theirs-${to}`)), timeoutMs: 30_000 }),
    ]);
    const [ddProducerApp, ourConsumerApp, ourProducerApp, ddConsumerApp] = apps4;
    const got = {};
    try {
      for (const app of [ddProducerApp, ourProducerApp]) assert.equal((await fetch(`http://127.0.0.1:${app.match[1]}/orders/1`)).status, 200);
      await bothConsumed(ourConsumerApp, `our consumer of ${ddTrace}'s messages`);
      await bothConsumed(ddConsumerApp, `${ddTrace}'s consumer of our messages`);
      // dd-trace flushes on its own interval: its spans are awaited while its processes still run.
      [got.web] = await agentSpans((s) => s.service === theirProducer && s.name === 'web.request', 1, `${ddTrace}'s request span`);
      [got.produce] = await agentSpans((s) => s.name === 'kafka.produce' && s.resource === from, 1, `${ddTrace}'s kafka.produce`);
      [got.publish] = await agentSpans((s) => s.name === 'amqp.command' && s.resource === `basic.publish ${from}`, 1, `${ddTrace}'s basic.publish`);
      [got.consume] = await agentSpans((s) => s.name === 'kafka.consume' && s.resource === to, 1, `${ddTrace}'s kafka.consume`);
      [got.deliver] = await agentSpans((s) => s.name === 'amqp.command' && s.resource === `basic.deliver ${to}`, 1, `${ddTrace}'s basic.deliver`);
    } finally {
      await Promise.all(apps4.map((app) => app.stop()));
    }

    await t.test(`${ddTrace} producer -> Kafka / RabbitMQ -> our consumer: our consumer spans are children of dd-trace's producer spans`, async () => {
      const [kafkaProcess] = await intakeSpans((s) => s.service === ourConsumer && s.name === 'kafka.process', 1, 'our kafka.process');
      const [amqpProcess] = await intakeSpans((s) => s.service === ourConsumer && s.name === 'rabbitmq.process', 1, 'our rabbitmq.process');
      assert.equal(got.produce.parent_id, got.web.span_id, `${ddTrace}'s kafka.produce is under its request`);
      assert.equal(got.publish.parent_id, got.web.span_id, `${ddTrace}'s basic.publish is under its request`);
      for (const [ours, theirs] of [
        [kafkaProcess, got.produce],
        [amqpProcess, got.publish],
      ]) {
        assert.equal(ours.traceID, u64(theirs.trace_id), `${ours.name}: dd-trace's Datadog trace id`);
        assert.equal(ours.parentID, u64(theirs.span_id), `${ours.name}: child of dd-trace's ${theirs.name} ${theirs.resource}`);
        assert.equal(ours.meta['otel.trace_id'].slice(0, 16), got.web.meta['_dd.p.tid'], `${ours.name}: the same 128-bit trace id`);
      }
      assert.equal(kafkaProcess.resource, from);
    });

    await t.test(`our producer -> Kafka / RabbitMQ -> ${ddTrace} consumer: dd-trace's consumer spans are children of ours`, async () => {
      const [kafkaSend] = await intakeSpans((s) => s.service === ourProducer && s.name === 'kafka.send', 1, 'our kafka.send');
      const [amqpSend] = await intakeSpans((s) => s.service === ourProducer && s.name === 'rabbitmq.send', 1, 'our rabbitmq.send');
      for (const [theirs, ours] of [
        [got.consume, kafkaSend],
        [got.deliver, amqpSend],
      ]) {
        assert.equal(u64(theirs.trace_id), ours.traceID, `${theirs.name} ${theirs.resource}: our Datadog trace id`);
        assert.equal(u64(theirs.parent_id), ours.spanID, `${theirs.name} ${theirs.resource}: child of our ${ours.name}`);
        assert.equal(theirs.meta['_dd.p.tid'], ours.meta['otel.trace_id'].slice(0, 16), `${theirs.name}: the same 128-bit trace id`);
        assert.equal(theirs.type, 'worker');
      }
    });
  });
}
