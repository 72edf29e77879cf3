// Producer side, with real parts: a traced process sends with the real AWS SDK v3 clients
// through a recording proxy to moto (SQS, SNS, EventBridge, Kinesis); Lambda Invoke is
// answered by the proxy. Asserted: the span each call makes, the headers on the request,
// what moto stored (message attributes, AWSTraceHeader, payloads), the user's input untouched.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { startMoto, startRecordingProxy } from '../harness/moto.mjs';
import { client, drainQueue, eventbridge, kinesis, parseTraceparent, parseXray, runProducer, sns, sqs } from '../harness/messaging.mjs';

const { NodeHttpHandler } = createRequire(import.meta.url)('@smithy/node-http-handler');

let receiver;
let moto;
let proxy;
let sqsClient;
const DD_ON = { OTEL_PROPAGATORS: 'xray,datadog,tracecontext,baggage' };

before(async () => {
  receiver = await startOtlpReceiver();
  moto = await startMoto();
  proxy = await startRecordingProxy(moto.url, {
    // Lambda Invoke: moto would run the function in Docker; the proxy answers as Lambda does.
    answer: (r) =>
      /\/functions\/[^/]+\/invocations/.test(r.path)
        ? { status: 200, headers: { 'content-type': 'application/json', 'x-amz-executed-version': '$LATEST' }, body: '"ok"' }
        : undefined,
  });
  // Through the proxy: SQS clients send to the host in the queue URL, which moto names after the request's.
  sqsClient = client(sqs, 'SQS', proxy.url);
});
after(async () => {
  sqsClient?.destroy();
  await proxy?.close();
  await moto?.stop();
  await receiver?.close();
});

let queues = 0;
async function newQueue() {
  const name = `q${++queues}-${Date.now()}`;
  const { QueueUrl } = await sqsClient.send(new sqs.CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqsClient.send(new sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { name, url: QueueUrl, arn: Attributes.QueueArn };
}

/** The spans the producer run made for call n: its root "produce n" and the SDK span under it. */
async function spansOf(result) {
  const spans = await receiver.waitFor((all) => all.some((s) => s.traceId === result.traceId && s.parentSpanId === result.spanId));
  const sdkSpans = spans.filter((s) => s.traceId === result.traceId && s.parentSpanId === result.spanId);
  assert.equal(sdkSpans.length, 1, `one SDK span: ${sdkSpans.map((s) => s.name)}`);
  return sdkSpans[0];
}

const requestsFor = (target) => proxy.requests.filter((r) => (r.headers['x-amz-target'] ?? '').endsWith(target) || r.body.includes(`Action=${target}`));

test('SQS SendMessage: a producer span; the request and the message carry it (traceparent attribute, AWSTraceHeader), input untouched', async () => {
  const queue = await newQueue();
  const userAttributes = { customer: { DataType: 'String', StringValue: 'c-1' } };
  const before = proxy.requests.length;
  const [result] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'order 1', MessageAttributes: userAttributes } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  assert.equal(result.inputUnchanged, true, "the app's input object was not modified");
  const span = await spansOf(result);
  assert.equal(span.kind, 4, 'PRODUCER');
  assert.equal(span.name, `${queue.name} send`);
  assert.equal(span.attributes['messaging.system'], 'aws_sqs');
  assert.equal(span.attributes['messaging.destination.name'], queue.name);

  const [request] = proxy.requests.slice(before).filter((r) => r.headers['x-amz-target'] === 'AmazonSQS.SendMessage');
  assert.deepEqual(parseXray(request.headers['x-amzn-trace-id']), { traceId: span.traceId, spanId: span.spanId }, 'X-Amzn-Trace-Id is our span');
  assert.deepEqual(parseTraceparent(request.headers.traceparent), { traceId: span.traceId, spanId: span.spanId }, 'traceparent is our span');

  const [message] = await drainQueue(sqsClient, queue.url, 1);
  assert.deepEqual(Object.keys(message.MessageAttributes).sort(), ['customer', 'traceparent'], 'one attribute added (default propagators: no tracestate or baggage to send)');
  assert.deepEqual(parseTraceparent(message.MessageAttributes.traceparent.StringValue), { traceId: span.traceId, spanId: span.spanId });
  assert.deepEqual(parseXray(message.Attributes.AWSTraceHeader), { traceId: span.traceId, spanId: span.spanId }, 'AWSTraceHeader points at our span');
});

test('SQS with Datadog injection on: one `_datadog` JSON attribute, as dd-trace writes it', async () => {
  const queue = await newQueue();
  const [result] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'dd' } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    env: DD_ON,
  });
  const span = await spansOf(result);
  const [message] = await drainQueue(sqsClient, queue.url, 1);
  assert.deepEqual(Object.keys(message.MessageAttributes), ['_datadog']);
  assert.equal(message.MessageAttributes._datadog.DataType, 'String');
  const carrier = JSON.parse(message.MessageAttributes._datadog.StringValue);
  assert.equal(carrier['x-datadog-trace-id'], BigInt(`0x${span.traceId.slice(16)}`).toString());
  assert.equal(carrier['x-datadog-parent-id'], BigInt(`0x${span.spanId}`).toString());
  assert.equal(carrier['x-datadog-sampling-priority'], '1');
  assert.equal(carrier['x-datadog-tags'], `_dd.p.tid=${span.traceId.slice(0, 16)}`);
  assert.deepEqual(parseTraceparent(carrier.traceparent), { traceId: span.traceId, spanId: span.spanId });
  assert.equal(carrier['x-amzn-trace-id'], undefined, 'the X-Ray header travels as AWSTraceHeader');
});

test('SQS attribute limit: 10 attributes -> sent unchanged (still AWSTraceHeader); 9 -> traceparent only; batches per entry', async () => {
  const queue = await newQueue();
  const attrs = (n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`a${i}`, { DataType: 'String', StringValue: `v${i}` }]));
  const results = await runProducer({
    calls: [
      { client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'ten', MessageAttributes: attrs(10) } },
      { client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'nine', MessageAttributes: attrs(9) } },
      {
        client: 'SQS',
        command: 'SendMessageBatch',
        input: {
          QueueUrl: queue.url,
          Entries: [
            { Id: 'b1', MessageBody: 'batch-1' },
            { Id: 'b2', MessageBody: 'batch-2', MessageAttributes: attrs(10) },
          ],
        },
      },
    ],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    env: { OTEL_PROPAGATORS: 'xray,tracecontext,baggage' },
  });
  const spans = await Promise.all(results.map(spansOf));
  const byBody = Object.fromEntries((await drainQueue(sqsClient, queue.url, 4)).map((m) => [m.Body, m]));
  assert.deepEqual(Object.keys(byBody).sort(), ['batch-1', 'batch-2', 'nine', 'ten']);

  assert.deepEqual(Object.keys(byBody.ten.MessageAttributes).sort(), Object.keys(attrs(10)).sort(), 'a message at the limit is sent with its own 10 attributes');
  assert.deepEqual(parseXray(byBody.ten.Attributes.AWSTraceHeader)?.spanId, spans[0].spanId, 'and is still linked through AWSTraceHeader');
  assert.deepEqual(Object.keys(byBody.nine.MessageAttributes).sort(), [...Object.keys(attrs(9)), 'traceparent'].sort());
  assert.equal(spans[2].name, `${queue.name} send`);
  assert.deepEqual(parseTraceparent(byBody['batch-1'].MessageAttributes.traceparent.StringValue)?.spanId, spans[2].spanId);
  assert.equal(Object.keys(byBody['batch-2'].MessageAttributes).length, 10);
  // moto drops MessageSystemAttributes of batch entries (SQS keeps them): asserted on the request.
  const [batchRequest] = requestsFor('AmazonSQS.SendMessageBatch').filter((r) => r.body.includes('batch-1'));
  for (const entry of JSON.parse(batchRequest.body).Entries) {
    assert.equal(parseXray(entry.MessageSystemAttributes.AWSTraceHeader.StringValue)?.spanId, spans[2].spanId, `${entry.Id}: AWSTraceHeader`);
  }
});

async function snsToQueue({ raw }) {
  const snsClient = client(sns, 'SNS', moto.url);
  const queue = await newQueue();
  const { TopicArn } = await snsClient.send(new sns.CreateTopicCommand({ Name: `topic-${queue.name}` }));
  const { SubscriptionArn } = await snsClient.send(
    new sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: queue.arn, Attributes: raw ? { RawMessageDelivery: 'true' } : {} }),
  );
  snsClient.destroy();
  return { queue, TopicArn, SubscriptionArn };
}

test('SNS Publish / PublishBatch: producer spans; traceparent (default) or one Binary `_datadog` (Datadog injection) in the notification', async () => {
  const { queue, TopicArn } = await snsToQueue({ raw: false });
  const results = await runProducer({
    calls: [
      { client: 'SNS', command: 'Publish', input: { TopicArn, Message: 'plain' } },
      {
        client: 'SNS',
        command: 'PublishBatch',
        input: {
          TopicArn,
          PublishBatchRequestEntries: [
            { Id: '1', Message: 'batch-a' },
            { Id: '2', Message: 'batch-b' },
          ],
        },
      },
    ],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  const [ddResult] = await runProducer({
    calls: [{ client: 'SNS', command: 'Publish', input: { TopicArn, Message: 'dd' } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    env: DD_ON,
  });
  const [publish, batch, dd] = await Promise.all([...results, ddResult].map(spansOf));
  for (const span of [publish, batch, dd]) {
    assert.equal(span.kind, 4, `${span.name}: PRODUCER`);
    assert.equal(span.attributes['messaging.system'], 'aws.sns');
  }
  assert.equal(batch.attributes['messaging.batch.message_count'], 2);
  const envelopes = Object.fromEntries((await drainQueue(sqsClient, queue.url, 4)).map((m) => JSON.parse(m.Body)).map((e) => [e.Message, e]));
  assert.deepEqual(Object.keys(envelopes.plain.MessageAttributes), ['traceparent']);
  assert.equal(parseTraceparent(envelopes.plain.MessageAttributes.traceparent.Value)?.spanId, publish.spanId);
  for (const m of ['batch-a', 'batch-b']) assert.equal(parseTraceparent(envelopes[m].MessageAttributes.traceparent.Value)?.spanId, batch.spanId);
  assert.deepEqual(Object.keys(envelopes.dd.MessageAttributes), ['_datadog']);
  assert.equal(envelopes.dd.MessageAttributes._datadog.Type, 'Binary');
  const carrier = JSON.parse(Buffer.from(envelopes.dd.MessageAttributes._datadog.Value, 'base64').toString('utf8'));
  assert.equal(carrier['x-datadog-parent-id'], BigInt(`0x${dd.spanId}`).toString());
});

test('EventBridge PutEvents: a producer span; detail unchanged unless OTEL_XRAY_DD_EVENTBRIDGE_INJECT=true, then detail._datadog', async () => {
  const ebClient = client(eventbridge, 'EventBridge', moto.url);
  const queue = await newQueue();
  await ebClient.send(new eventbridge.PutRuleCommand({ Name: `to-${queue.name}`, EventPattern: JSON.stringify({ source: ['orders.test'] }) }));
  await ebClient.send(new eventbridge.PutTargetsCommand({ Rule: `to-${queue.name}`, Targets: [{ Id: 'q', Arn: queue.arn }] }));
  ebClient.destroy();
  const entry = (n) => ({ Source: 'orders.test', DetailType: 'OrderPlaced', Detail: JSON.stringify({ n, amount: 12345678901234567890n.toString() }) + ' ' });
  const [plain] = await runProducer({ calls: [{ client: 'EventBridge', command: 'PutEvents', input: { Entries: [entry(1)] } }], endpoint: proxy.url, otlpUrl: receiver.url });
  const [opted] = await runProducer({
    calls: [{ client: 'EventBridge', command: 'PutEvents', input: { Entries: [{ ...entry(2), Detail: '{"n":2,"big":12345678901234567890}' }] } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    env: { OTEL_XRAY_DD_EVENTBRIDGE_INJECT: 'true' },
  });
  const plainSpan = await spansOf(plain);
  const optedSpan = await spansOf(opted);
  assert.equal(plainSpan.kind, 4);
  assert.equal(plainSpan.name, 'default send');
  assert.equal(plainSpan.attributes['messaging.system'], 'aws.eventbridge');
  const events = Object.fromEntries((await drainQueue(sqsClient, queue.url, 2)).map((m) => JSON.parse(m.Body)).map((e) => [e.detail.n, e]));
  assert.deepEqual(Object.keys(events[1].detail), ['n', 'amount'], "not opted in: the detail is the app's");
  assert.deepEqual(Object.keys(events[2].detail).sort(), ['_datadog', 'big', 'n']);
  assert.equal(parseTraceparent(events[2].detail._datadog.traceparent)?.spanId, optedSpan.spanId);
  const [request] = requestsFor('AWSEvents.PutEvents').filter((r) => r.body.includes('12345678901234567890') && r.body.includes('_datadog'));
  assert.ok(JSON.parse(request.body).Entries[0].Detail.endsWith('"n":2,"big":12345678901234567890}'), "the app's JSON text is kept as written (no number re-serialization)");
  assert.equal(parseXray(JSON.parse(request.body).Entries[0].TraceHeader)?.spanId, optedSpan.spanId, "the entry's TraceHeader is our span");
});

test('Kinesis PutRecord(s): producer spans; data unchanged unless OTEL_XRAY_DD_KINESIS_INJECT=true, then JSON records get _datadog', async () => {
  const kClient = client(kinesis, 'Kinesis', moto.url, { requestHandler: new NodeHttpHandler() });
  const StreamName = `stream-${Date.now()}`;
  await kClient.send(new kinesis.CreateStreamCommand({ StreamName, ShardCount: 1 }));
  const calls = [
    { client: 'Kinesis', command: 'PutRecord', input: { StreamName, PartitionKey: 'k', Data: '{"n":1}' } },
    {
      client: 'Kinesis',
      command: 'PutRecords',
      input: {
        StreamName,
        Records: [
          { PartitionKey: 'k', Data: '{"n":2}' },
          { PartitionKey: 'k', Data: 'not json' },
        ],
      },
    },
  ];
  const plain = await runProducer({ calls, endpoint: proxy.url, otlpUrl: receiver.url });
  const opted = await runProducer({ calls, endpoint: proxy.url, otlpUrl: receiver.url, env: { OTEL_XRAY_DD_KINESIS_INJECT: 'true' } });
  const spans = await Promise.all([...plain, ...opted].map(spansOf));
  for (const span of spans) {
    assert.equal(span.kind, 4);
    assert.equal(span.name, `${StreamName} send`);
    assert.equal(span.attributes['messaging.system'], 'aws.kinesis');
  }
  const { Shards } = await kClient.send(new kinesis.ListShardsCommand({ StreamName }));
  const { ShardIterator } = await kClient.send(new kinesis.GetShardIteratorCommand({ StreamName, ShardId: Shards[0].ShardId, ShardIteratorType: 'TRIM_HORIZON' }));
  const { Records } = await kClient.send(new kinesis.GetRecordsCommand({ ShardIterator }));
  kClient.destroy();
  const data = Records.map((r) => Buffer.from(r.Data).toString('utf8'));
  assert.deepEqual(data.slice(0, 3), ['{"n":1}', '{"n":2}', 'not json'], "not opted in: the records are the app's");
  assert.equal(parseTraceparent(JSON.parse(data[3])._datadog.traceparent)?.spanId, spans[2].spanId);
  assert.equal(JSON.parse(data[3]).n, 1);
  assert.equal(parseTraceparent(JSON.parse(data[4])._datadog.traceparent)?.spanId, spans[3].spanId);
  assert.equal(data[5], 'not json', 'a record that is not a JSON object is never changed');
});

test("Lambda Invoke: the context in ClientContext.custom, the caller's own custom keys kept; too long -> unchanged", async () => {
  const callerContext = Buffer.from(JSON.stringify({ custom: { tenant: 't-1' }, env: { locale: 'en' } })).toString('base64');
  const huge = Buffer.from(JSON.stringify({ custom: { blob: 'x'.repeat(2600) } })).toString('base64');
  const before = proxy.requests.length;
  const results = await runProducer({
    calls: [
      { client: 'Lambda', command: 'Invoke', input: { FunctionName: 'orders-fn', Payload: '{}' } },
      { client: 'Lambda', command: 'Invoke', input: { FunctionName: 'orders-fn', Payload: '{}', ClientContext: callerContext } },
      { client: 'Lambda', command: 'Invoke', input: { FunctionName: 'orders-fn', Payload: '{}', ClientContext: huge } },
    ],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  const spans = await Promise.all(results.map(spansOf));
  assert.equal(spans[0].kind, 3, 'CLIENT');
  assert.equal(spans[0].attributes['faas.invoked_name'], 'orders-fn');
  const invokes = proxy.requests.slice(before).filter((r) => r.path.includes('/invocations'));
  assert.equal(invokes.length, 3);
  const decoded = invokes.map((r) => r.headers['x-amz-client-context'] && JSON.parse(Buffer.from(r.headers['x-amz-client-context'], 'base64').toString('utf8')));
  assert.equal(parseTraceparent(decoded[0].custom.traceparent)?.spanId, spans[0].spanId);
  assert.equal(parseXray(decoded[0].custom['x-amzn-trace-id'])?.spanId, spans[0].spanId);
  assert.deepEqual(decoded[1].env, { locale: 'en' });
  assert.equal(decoded[1].custom.tenant, 't-1');
  assert.equal(parseTraceparent(decoded[1].custom.traceparent)?.spanId, spans[1].spanId);
  assert.equal(invokes[2].headers['x-amz-client-context'], huge, 'no room within 3,583 bytes: sent as the caller wrote it');
  for (const [i, r] of invokes.entries()) assert.equal(parseXray(r.headers['x-amzn-trace-id'])?.spanId, spans[i].spanId, `invoke ${i}: X-Amzn-Trace-Id`);
  assert.ok(results.every((r) => r.inputUnchanged));
});

test('a host consumer (ReceiveMessage): the receive span links every message with a context, `_datadog` and the X-Ray header included', async () => {
  const queue = await newQueue();
  // One message with `_datadog` (Datadog injection), one with traceparent, one sent without tracing.
  const [withDatadog] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'a' } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    env: DD_ON,
  });
  const [withW3c] = await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'b' } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
  });
  await sqsClient.send(new sqs.SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'untraced' }));
  // An X-Ray-traced sender (its header only): linked when X-Ray sampled it, not otherwise.
  const xraySampled = { traceId: '6e000000000000000000000000000001', spanId: '00000000000000e1' };
  const xrayHeader = (sampled, id) => `Root=1-${id.traceId.slice(0, 8)}-${id.traceId.slice(8)};Parent=${id.spanId};Sampled=${sampled}`;
  await sqsClient.send(
    new sqs.SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: 'x-ray',
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: xrayHeader(1, xraySampled) } },
    }),
  );
  await sqsClient.send(
    new sqs.SendMessageCommand({
      QueueUrl: queue.url,
      MessageBody: 'x-ray unsampled',
      MessageSystemAttributes: { AWSTraceHeader: { DataType: 'String', StringValue: xrayHeader(0, { traceId: '6e000000000000000000000000000002', spanId: '00000000000000e2' }) } },
    }),
  );
  const producers = [await spansOf(withDatadog), await spansOf(withW3c), xraySampled];
  const [received] = await runProducer({
    calls: [{ client: 'SQS', command: 'ReceiveMessage', input: { QueueUrl: queue.url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 } }],
    endpoint: proxy.url,
    otlpUrl: receiver.url,
    service: 'host-consumer',
  });
  assert.equal(received.output.Messages.length, 5);
  const receive = await receiver.waitFor((spans) => spans.some((s) => s.name === `${queue.name} receive`)).then((spans) => spans.find((s) => s.name === `${queue.name} receive`));
  assert.equal(receive.kind, 5, 'CONSUMER');
  assert.equal(receive.attributes['messaging.batch.message_count'], 5);
  assert.deepEqual(
    receive.links.map((l) => `${l.traceId}/${l.spanId}`).sort(),
    producers.map((p) => `${p.traceId}/${p.spanId}`).sort(),
    'one link per traced message, to its producer span; the untraced and the X-Ray-unsampled ones have none',
  );
});
