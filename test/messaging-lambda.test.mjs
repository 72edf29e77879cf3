// Consumer side, with real parts: a traced producer sends with the real AWS SDK v3 clients
// to moto; each Lambda event is built from what moto returns (ReceiveMessage with all
// attributes, SNS->SQS subscriptions raw and enveloped, an EventBridge rule's SQS target,
// Kinesis GetRecords) in the shape Lambda delivers it, and handled by a traced Lambda
// sandbox (test/fixtures/lambda-runtime.mjs with the preload). Asserted: links and parent
// ids against the producer spans.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { prepareRuntime, startSandbox } from '../harness/lambda-sandbox.mjs';
import { fixtures, repoRoot } from '../harness/processes.mjs';
import { waitUntil } from '../harness/wait.mjs';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { startMoto, startRecordingProxy } from '../harness/moto.mjs';
import { client, drainQueue, eventbridge, kinesis, kinesisEvent, runLambda, runProducer, sns, snsEvent, sqs, sqsEvent, xrayHeader } from '../harness/messaging.mjs';

const { NodeHttpHandler } = createRequire(import.meta.url)('@smithy/node-http-handler');
const LAMBDA_SCOPE = 'otel-xray-datadog/aws-lambda';
const SEGMENT = { traceId: '6b000000000000000000000000c0ffee', spanId: '53995c3f42cd8ad8' };
const DD_ON = { OTEL_PROPAGATORS: 'xray,datadog,tracecontext,baggage' };

let receiver;
let moto;
let proxy;
let sqsClient;
before(async () => {
  receiver = await startOtlpReceiver();
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.url, {
    answer: (r) => (/\/functions\/[^/]+\/invocations/.test(r.path) ? { status: 200, headers: { 'content-type': 'application/json' }, body: '"ok"' } : undefined),
  });
  sqsClient = client(sqs, 'SQS', moto.url);
});
after(async () => {
  sqsClient?.destroy();
  await proxy?.close();
  await moto?.stop();
  await receiver?.close();
});

let n = 0;
async function newQueue() {
  const name = `consumer-q${++n}-${Date.now()}`;
  const { QueueUrl } = await sqsClient.send(new sqs.CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqsClient.send(new sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { name, url: QueueUrl, arn: Attributes.QueueArn };
}

/** The producer's SDK spans, one per call, in call order. */
async function producerSpans(results) {
  await receiver.waitFor((all) => results.every((r) => all.some((s) => s.parentSpanId === r.spanId && s.traceId === r.traceId)));
  return results.map((r) => receiver.spans.find((s) => s.parentSpanId === r.spanId && s.traceId === r.traceId));
}

/** Runs one invocation of `event`; resolves its invocation span and consumer span (if any). */
async function consume(fn, event, { traceHeader, clientContext, env } = {}) {
  // The context's journey, not the managed service's hop in between (drawn and tested in messaging-datadog.test.mjs).
  const { lines, stderr } = await runLambda({
    fn,
    otlpUrl: receiver.url,
    invocations: [{ event, traceHeader, clientContext }],
    env: { OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS: 'false', ...env },
  });
  assert.deepEqual(
    lines.map((l) => l.ok),
    [true],
    stderr,
  );
  const mine = receiver.spans.filter((s) => s.resource['faas.name'] === fn && s.scope === LAMBDA_SCOPE);
  const invocation = mine.find((s) => s.kind === 2);
  const consumer = mine.find((s) => s.kind === 5);
  assert.ok(invocation, `invocation span of ${fn}`);
  if (consumer) assert.equal(consumer.parentSpanId, invocation.spanId, 'the consumer span is a child of the invocation span');
  return { invocation, consumer, stderr };
}

const idsOf = (span) => ({ traceId: span.traceId, spanId: span.spanId });
const linkIds = (span) => span.links.map((l) => ({ traceId: l.traceId, spanId: l.spanId }));
const parentOf = (span) => ({ traceId: span.traceId, spanId: span.parentSpanId });

test("SQS, one message: the invocation is the producer span's child (one trace); with an X-Ray env context it wins and the message is a link", async () => {
  const queue = await newQueue();
  const [result] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'one' } }],
    endpoint: moto.url,
    otlpUrl: receiver.url,
  });
  const [producer] = await producerSpans([result]);
  const event = sqsEvent(await drainQueue(sqsClient, queue.url, 1), queue.arn);

  const alone = await consume('sqs-one', event);
  assert.deepEqual(parentOf(alone.invocation), idsOf(producer), "no X-Ray context: the message's context is the parent");
  assert.equal(alone.invocation.attributes['faas.trigger'], 'pubsub');
  assert.equal(alone.consumer.name, `${queue.name} process`);
  assert.equal(alone.consumer.attributes['messaging.system'], 'aws_sqs');
  assert.equal(alone.consumer.attributes['messaging.destination.name'], queue.name);
  assert.equal(alone.consumer.attributes['messaging.operation.type'], 'process');
  assert.equal(alone.consumer.attributes['messaging.message.id'], event.Records[0].messageId);
  assert.deepEqual(alone.consumer.links, [], 'the parent is not linked again');

  const withXray = await consume('sqs-one-xray', event, { traceHeader: xrayHeader(SEGMENT.traceId, SEGMENT.spanId) });
  assert.deepEqual(parentOf(withXray.invocation), SEGMENT, 'default priority: the X-Ray env context is the parent');
  assert.deepEqual(linkIds(withXray.consumer), [idsOf(producer)], 'the message is linked');
  assert.equal(withXray.consumer.links[0].attributes['messaging.message.id'], event.Records[0].messageId);

  const headersFirst = await consume('sqs-one-headers', event, { traceHeader: xrayHeader(SEGMENT.traceId, SEGMENT.spanId), env: { OTEL_XRAY_DD_LAMBDA_PARENT: 'headers' } });
  assert.deepEqual(parentOf(headersFirst.invocation), idsOf(producer), 'OTEL_XRAY_DD_LAMBDA_PARENT=headers: the message wins');
});

test('SQS batch of 10 from 10 producers: 10 links, each to its producer span; the batch never reparents; OTEL_XRAY_DD_LAMBDA_MAX_LINKS caps them', async () => {
  const queue = await newQueue();
  const attrs10 = Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]));
  const calls = Array.from({ length: 10 }, (_, i) => ({
    client: 'SQS',
    command: 'SendMessage',
    // Message 9 already has 10 attributes: it is linked through AWSTraceHeader alone.
    input: { QueueUrl: queue.url, MessageBody: `m${i}`, ...(i === 9 ? { MessageAttributes: attrs10 } : {}) },
  }));
  // Half the producers write traceparent, half `_datadog` (Datadog injection on): both are read.
  const results = [
    ...(await runProducer({ calls: calls.slice(0, 5), endpoint: moto.url, otlpUrl: receiver.url })),
    ...(await runProducer({ calls: calls.slice(5), endpoint: moto.url, otlpUrl: receiver.url, env: DD_ON })),
  ];
  const producers = await producerSpans(results);
  const messages = await drainQueue(sqsClient, queue.url, 10);
  assert.equal(messages.length, 10);
  const full = messages.find((m) => m.Body === 'm9');
  assert.equal(Object.keys(full.MessageAttributes).length, 10, 'the full message was sent unchanged');
  const event = sqsEvent(messages, queue.arn);

  const { invocation, consumer } = await consume('sqs-batch', event);
  assert.equal(invocation.parentSpanId, undefined, 'a batch never reparents the invocation');
  assert.equal(consumer.attributes['messaging.batch.message_count'], 10);
  assert.equal(consumer.links.length, 10);
  const producerByBody = Object.fromEntries(calls.map((c, i) => [c.input.MessageBody, producers[i]]));
  for (const message of messages) {
    const link = consumer.links.find((l) => l.attributes['messaging.message.id'] === message.MessageId);
    assert.ok(link, `a link for ${message.Body}`);
    assert.deepEqual({ traceId: link.traceId, spanId: link.spanId }, idsOf(producerByBody[message.Body]), `${message.Body}: linked to its producer span`);
  }

  const capped = await consume('sqs-batch-capped', event, { env: { OTEL_XRAY_DD_LAMBDA_MAX_LINKS: '3' } });
  assert.equal(capped.consumer.links.length, 3);
});

test('SQS, Datadog injection on the producer: `_datadog` is read; the message context parents the invocation', async () => {
  const queue = await newQueue();
  const [result] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'dd' } }],
    endpoint: moto.url,
    otlpUrl: receiver.url,
    env: DD_ON,
  });
  const [producer] = await producerSpans([result]);
  const messages = await drainQueue(sqsClient, queue.url, 1);
  // Only the `_datadog` carrier: AWSTraceHeader removed to show that one is enough.
  delete messages[0].Attributes.AWSTraceHeader;
  const { invocation } = await consume('sqs-datadog', sqsEvent(messages, queue.arn));
  assert.deepEqual(parentOf(invocation), idsOf(producer));
});

test('SNS -> Lambda, SNS -> SQS enveloped and raw: the publisher span parents each consumer', async () => {
  const snsClient = client(sns, 'SNS', moto.url);
  const enveloped = await newQueue();
  const raw = await newQueue();
  const { TopicArn } = await snsClient.send(new sns.CreateTopicCommand({ Name: `orders-${Date.now()}` }));
  const { SubscriptionArn } = await snsClient.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: enveloped.arn }));
  await snsClient.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: raw.arn, Attributes: { RawMessageDelivery: 'true' } }));
  snsClient.destroy();
  const topicName = TopicArn.split(':').at(-1);

  for (const [label, env] of [
    ['w3c', {}],
    ['datadog', DD_ON],
  ]) {
    const [result] = await runProducer({
      calls: [{ client: 'SNS', command: 'Publish', input: { TopicArn, Message: `hello ${label}` } }],
      endpoint: moto.url,
      otlpUrl: receiver.url,
      env,
    });
    const [producer] = await producerSpans([result]);
    const envelopes = await drainQueue(sqsClient, enveloped.url, 1);
    // moto 5.2.1 fails ReceiveMessage on a raw-delivered Binary attribute (it hashes the base64
    // text): the Datadog case's raw record is built from the envelope, as raw delivery makes it.
    const rawMessages =
      label === 'datadog'
        ? envelopes.map((m) => ({
            ...m,
            Body: JSON.parse(m.Body).Message,
            MessageAttributes: { _datadog: { DataType: 'Binary', BinaryValue: Buffer.from(JSON.parse(m.Body).MessageAttributes._datadog.Value, 'base64') } },
          }))
        : await drainQueue(sqsClient, raw.url, 1);

    const direct = await consume(
      `sns-${label}`,
      snsEvent(
        envelopes.map((m) => JSON.parse(m.Body)),
        SubscriptionArn,
      ),
    );
    assert.deepEqual(parentOf(direct.invocation), idsOf(producer), `${label}: SNS -> Lambda`);
    assert.equal(direct.consumer.name, `${topicName} process`);
    assert.equal(direct.consumer.attributes['messaging.system'], 'aws.sns');

    const viaQueue = await consume(`sns-sqs-${label}`, sqsEvent(envelopes, enveloped.arn));
    assert.deepEqual(parentOf(viaQueue.invocation), idsOf(producer), `${label}: SNS -> SQS (envelope)`);
    assert.equal(viaQueue.consumer.attributes['messaging.system'], 'aws_sqs');

    const viaRaw = await consume(`sns-sqs-raw-${label}`, sqsEvent(rawMessages, raw.arn));
    assert.deepEqual(parentOf(viaRaw.invocation), idsOf(producer), `${label}: SNS -> SQS (raw delivery)`);
  }
});

test('EventBridge (producer opted in) -> rule -> Lambda: detail._datadog parents the invocation; detail.traceparent too', async () => {
  const ebClient = client(eventbridge, 'EventBridge', moto.url);
  const queue = await newQueue();
  await ebClient.send(new eventbridge.PutRuleCommand({ Name: `rule-${queue.name}`, EventPattern: JSON.stringify({ source: ['orders.consumer-test'] }) }));
  await ebClient.send(new eventbridge.PutTargetsCommand({ Rule: `rule-${queue.name}`, Targets: [{ Id: 'q', Arn: queue.arn }] }));
  ebClient.destroy();
  const [result] = await runProducer({
    calls: [{ client: 'EventBridge', command: 'PutEvents', input: { Entries: [{ Source: 'orders.consumer-test', DetailType: 'OrderPlaced', Detail: '{"order":1}' }] } }],
    endpoint: moto.url,
    otlpUrl: receiver.url,
    env: { OTEL_XRAY_DD_EVENTBRIDGE_INJECT: 'true' },
  });
  const [producer] = await producerSpans([result]);
  const [message] = await drainQueue(sqsClient, queue.url, 1);
  // What the rule delivered, as a Lambda target receives it.
  const event = JSON.parse(message.Body);
  const { invocation, consumer } = await consume('eventbridge', event);
  assert.deepEqual(parentOf(invocation), idsOf(producer));
  assert.equal(consumer.name, 'orders.consumer-test process');
  assert.equal(consumer.attributes['messaging.system'], 'aws.eventbridge');

  // A producer of another kind that puts only traceparent in the detail.
  const traceparent = `00-${producer.traceId}-${'ab'.repeat(8)}-01`;
  const other = await consume('eventbridge-traceparent', { ...event, detail: { order: 2, traceparent } });
  assert.deepEqual(parentOf(other.invocation), { traceId: producer.traceId, spanId: 'ab'.repeat(8) });
});

test('Kinesis (producer opted in) -> GetRecords -> Lambda: one record parents, two records link', async () => {
  const kClient = client(kinesis, 'Kinesis', moto.url, { requestHandler: new NodeHttpHandler() });
  const StreamName = `consumer-stream-${Date.now()}`;
  await kClient.send(new kinesis.CreateStreamCommand({ StreamName, ShardCount: 1 }));
  const { StreamDescriptionSummary } = await kClient.send(new kinesis.DescribeStreamSummaryCommand({ StreamName }));
  const results = await runProducer({
    calls: [
      { client: 'Kinesis', command: 'PutRecord', input: { StreamName, PartitionKey: 'k', Data: '{"n":1}' } },
      { client: 'Kinesis', command: 'PutRecord', input: { StreamName, PartitionKey: 'k', Data: '{"n":2}' } },
    ],
    endpoint: moto.url,
    otlpUrl: receiver.url,
    env: { OTEL_XRAY_DD_KINESIS_INJECT: 'true' },
  });
  const producers = await producerSpans(results);
  const { Shards } = await kClient.send(new kinesis.ListShardsCommand({ StreamName }));
  const { ShardIterator } = await kClient.send(new kinesis.GetShardIteratorCommand({ StreamName, ShardId: Shards[0].ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const { Records } = await kClient.send(new kinesis.GetRecordsCommand({ ShardIterator }));
  kClient.destroy();
  const arn = StreamDescriptionSummary.StreamARN;

  const one = await consume('kinesis-one', kinesisEvent(Records.slice(0, 1), arn, Shards[0].ShardId));
  assert.deepEqual(parentOf(one.invocation), idsOf(producers[0]));
  assert.equal(one.consumer.name, `${StreamName} process`);
  assert.equal(one.consumer.attributes['messaging.system'], 'aws.kinesis');

  const two = await consume('kinesis-two', kinesisEvent(Records, arn, Shards[0].ShardId));
  assert.equal(two.invocation.parentSpanId, undefined);
  assert.deepEqual(linkIds(two.consumer), producers.map(idsOf));
});

test("direct invoke: the caller's ClientContext.custom parents the invocation (no consumer span)", async () => {
  const before = proxy.requests.length;
  const [result] = await runProducer({
    calls: [{ client: 'Lambda', command: 'Invoke', input: { FunctionName: 'invoked-fn', Payload: '{"a":1}' } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  const [producer] = await producerSpans([result]);
  const [request] = proxy.requests.slice(before).filter((r) => r.path.includes('/invocations'));
  // What the runtime hands the handler as context.clientContext.
  const clientContext = JSON.parse(Buffer.from(request.headers['x-amz-client-context'], 'base64').toString('utf8'));
  const { invocation, consumer } = await consume('invoked-fn', JSON.parse(request.body), { clientContext });
  assert.deepEqual(parentOf(invocation), idsOf(producer));
  assert.equal(consumer, undefined);

  const withXray = await consume('invoked-fn-xray', JSON.parse(request.body), { clientContext, traceHeader: xrayHeader(SEGMENT.traceId, SEGMENT.spanId) });
  assert.deepEqual(parentOf(withXray.invocation), SEGMENT);
  assert.deepEqual(linkIds(withXray.invocation), [idsOf(producer)], 'the caller is linked from the invocation span');
});

test("under AWS's runtime client (nodejs24.x: Node 24, aws-lambda-ric 4.x, the layer): an SQS message and a direct invoke parent their invocations", async (t) => {
  prepareRuntime(24, 4);
  execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'build-layer.mjs')], { stdio: 'ignore' });
  const opt = fs.mkdtempSync(path.join(os.tmpdir(), 'layer-opt-'));
  t.after(() => fs.rmSync(opt, { recursive: true, force: true }));
  execFileSync('unzip', ['-q', path.join(repoRoot, 'build', 'otel-xray-datadog-layer.zip'), '-d', opt]);

  const queue = await newQueue();
  const before = proxy.requests.length;
  const results = await runProducer({
    calls: [
      { client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'via ric' } },
      { client: 'Lambda', command: 'Invoke', input: { FunctionName: 'ric-messaging', Payload: '{}' } },
    ],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  const [sendSpan, invokeSpan] = await producerSpans(results);
  const event = sqsEvent(await drainQueue(sqsClient, queue.url, 1), queue.arn);
  const [request] = proxy.requests.slice(before).filter((r) => r.path.includes('/invocations'));

  const fn = 'ric-messaging';
  const sb = await startSandbox({
    nodeMajor: 24,
    ricMajor: 4,
    taskRoot: path.join(fixtures, 'lambda', 'cjs'),
    handler: 'index.handler',
    functionName: fn,
    execWrapper: path.join(opt, 'otel-xray-datadog-handler'),
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS: 'false' },
  });
  t.after(() => sb.stop());
  const sqsResult = await sb.invoke({ event });
  // The runtime API passes the client context as Lambda does: the base64 header the caller's SDK sent.
  const invokeResult = await sb.invoke({ event: JSON.parse(request.body), clientContext: Buffer.from(request.headers['x-amz-client-context'], 'base64').toString('utf8') });
  assert.deepEqual([sqsResult.ok, invokeResult.ok], [true, true], `${sb.output().stdout}\n${sb.output().stderr}`);
  const invocations = await waitUntil(
    () => {
      const found = receiver.spans.filter((s) => s.resource['faas.name'] === fn && s.scope === LAMBDA_SCOPE && s.kind === 2);
      return found.length === 2 ? found : undefined;
    },
    { timeoutMs: 10_000, what: 'two invocation spans' },
  );
  const byRequest = (r) => invocations.find((s) => s.attributes['faas.invocation_id'] === r.requestId);
  assert.deepEqual(parentOf(byRequest(sqsResult)), idsOf(sendSpan));
  assert.deepEqual(parentOf(byRequest(invokeResult)), idsOf(invokeSpan));
  assert.ok(
    receiver.spans.some((s) => s.kind === 5 && s.parentSpanId === byRequest(sqsResult).spanId && s.name === `${queue.name} process`),
    'the consumer span',
  );
});
