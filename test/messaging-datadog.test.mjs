// What Datadog shows for messaging: traced producers and Lambda consumers (moto as SQS)
// exporting through the real collector to the Datadog intake double; dd-trace producers and
// consumers (their spans decoded by the agent double) on the other side of a queue.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { collectorBinary, startCollector } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { ddTraceEnv, startDatadogAgent } from '../harness/datadog-agent.mjs';
import { credentials, region, startMoto } from '../harness/moto.mjs';
import { client, drainQueue, runLambda, runProducer, sqs, sqsEvent, xrayHeader } from '../harness/messaging.mjs';
import { cleanEnv, fixtures, runNode } from '../harness/processes.mjs';

let intake;
let collector;
let agent;
let moto;
let sqsClient;
before(async () => {
  collectorBinary();
  intake = await startDatadogIntake();
  collector = await startCollector({ intakeUrl: intake.url });
  agent = await startDatadogAgent();
  moto = await startMoto();
  sqsClient = client(sqs, 'SQS', moto.url);
});
after(async () => {
  sqsClient?.destroy();
  await moto?.stop();
  await agent?.close();
  await collector?.stop();
  await intake?.close();
});

const DD_ON = { OTEL_PROPAGATORS: 'xray,datadog,tracecontext,baggage' };
const viaCollector = { DD_ENV: 'prod', OTEL_BSP_SCHEDULE_DELAY: '50' };
const lower64 = (hex) => BigInt(`0x${hex.slice(-16)}`);

async function newQueue(name) {
  const { QueueUrl } = await sqsClient.send(new sqs.CreateQueueCommand({ QueueName: name }));
  const { Attributes } = await sqsClient.send(new sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { name, url: QueueUrl, arn: Attributes.QueueArn };
}

async function consume(fn, event, traceHeader) {
  const { lines, stderr } = await runLambda({ fn, otlpUrl: collector.otlpUrl, invocations: [{ event, traceHeader }], env: viaCollector });
  assert.deepEqual(
    lines.map((l) => l.ok),
    [true],
    stderr,
  );
}

const intakeSpans = (predicate, count, what) => intake.waitForSpans(predicate, count, what);

/** A span's links as Datadog got them: the payload's span links, else the `_dd.span_links` tag. */
function linksOf(span) {
  if (span.spanLinks?.length) return span.spanLinks.map((l) => ({ traceId: (l.traceIDHigh << 64n) | l.traceID, spanId: l.spanID, attributes: l.attributes }));
  const tag = span.meta['_dd.span_links'];
  if (!tag) return [];
  return JSON.parse(tag).map((l) => ({ traceId: BigInt(`0x${l.trace_id}`), spanId: BigInt(`0x${l.span_id}`), attributes: l.attributes ?? {} }));
}

test("one SQS message: Datadog shows one trace, aws_sqs.send -> aws.sqs (the queue's hop) -> aws.lambda (function name) -> aws_sqs.process (queue)", async () => {
  const queue = await newQueue('dd-orders');
  await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'order' } }],
    endpoint: moto.url,
    otlpUrl: collector.otlpUrl,
    service: 'orders-api',
    env: viaCollector,
  });
  await consume('orders-worker', sqsEvent(await drainQueue(sqsClient, queue.url, 1), queue.arn));

  const [producer] = await intakeSpans((s) => s.service === 'orders-api' && s.name === 'aws_sqs.send', 1, 'the producer span');
  const [invocation] = await intakeSpans((s) => s.service === 'orders-worker' && s.name === 'aws.lambda', 1, 'the invocation span');
  const [consumer] = await intakeSpans((s) => s.service === 'orders-worker' && s.name === 'aws_sqs.process', 1, 'the consumer span');
  const [hop] = await intakeSpans((s) => s.name === 'aws.sqs' && s.resource === queue.name, 1, "the queue's hop");
  assert.equal(producer.resource, queue.name);
  assert.equal(producer.meta['span.kind'], 'producer');
  assert.equal(invocation.resource, 'orders-worker');
  assert.equal(consumer.resource, queue.name);
  assert.equal(consumer.meta['span.kind'], 'consumer');
  assert.equal(invocation.traceID, producer.traceID, 'one Datadog trace');
  // The time in the queue, as Datadog's Lambda library draws it: filed under the queue's name, between producer and function.
  assert.deepEqual([hop.service, hop.type, hop.meta['span.kind'], hop.traceID], [queue.name, 'web', 'consumer', producer.traceID]);
  assert.equal(hop.parentID, producer.spanID);
  assert.equal(invocation.parentID, hop.spanID);
  assert.ok(hop.start + hop.duration <= invocation.start + 1_000_000n, 'the hop ends when processing starts');
  assert.equal(consumer.traceID, producer.traceID);
  assert.equal(consumer.parentID, invocation.spanID);
  assert.equal(invocation.meta['otel.trace_id'], producer.meta['otel.trace_id']);
});

test("a batch of 10 under an X-Ray segment: the consumer span's 10 links reach Datadog, one per producer span", async (t) => {
  const queue = await newQueue('dd-batch');
  const calls = Array.from({ length: 10 }, (_, i) => ({ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: `m${i}` } }));
  await runProducer({ calls, endpoint: moto.url, otlpUrl: collector.otlpUrl, service: 'batch-api', env: viaCollector });
  const event = sqsEvent(await drainQueue(sqsClient, queue.url, 10), queue.arn);
  const segment = { traceId: '6b0000000000000000000000000b0a7c', spanId: '53995c3f42cd8ad8' };
  await consume('batch-worker', event, xrayHeader(segment.traceId, segment.spanId));

  const producers = await intakeSpans((s) => s.service === 'batch-api' && s.name === 'aws_sqs.send', 10, 'ten producer spans');
  const [invocation] = await intakeSpans((s) => s.service === 'batch-worker' && s.name === 'aws.lambda', 1, 'the invocation span');
  const [consumer] = await intakeSpans((s) => s.service === 'batch-worker' && s.name === 'aws_sqs.process', 1, 'the consumer span');
  const [hop] = await intakeSpans((s) => s.name === 'aws.sqs' && s.resource === queue.name, 1, "the queue's hop (drawn from the first record, as Datadog's library draws a batch)");
  assert.equal(invocation.traceID, lower64(segment.traceId), 'the invocation stays in the X-Ray trace');
  assert.equal(hop.parentID, BigInt(`0x${segment.spanId}`));
  assert.equal(invocation.parentID, hop.spanID);
  assert.equal(consumer.metrics['messaging.batch.message_count'] ?? Number(consumer.meta['messaging.batch.message_count']), 10);
  const links = linksOf(consumer);
  t.diagnostic(`links arrived as ${consumer.spanLinks?.length ? "the payload's span links" : '_dd.span_links'} (${(consumer.meta['_dd.span_links'] ?? '').length} bytes of tag)`);
  assert.equal(links.length, 10, `links: ${JSON.stringify(consumer.meta['_dd.span_links'] ?? consumer.spanLinks, (_, v) => (typeof v === 'bigint' ? String(v) : v))}`);
  const expected = producers.map((p) => `${p.meta['otel.trace_id']}/${p.spanID}`).sort();
  const got = links.map((l) => `${l.traceId.toString(16).padStart(32, '0')}/${l.spanId}`).sort();
  assert.deepEqual(got, expected, 'each link names a producer span (128-bit trace id, span id)');
});

test("dd-trace producer -> SQS (`_datadog`) -> our Lambda consumer: one Datadog trace, the invocation under dd-trace's span", async () => {
  const queue = await newQueue('dd-from-ddtrace');
  const r = await runNode(['--require', 'dd-trace/init', path.join(fixtures, 'messaging-producer.cjs')], {
    env: cleanEnv(
      ddTraceEnv(agent.url, {
        DD_SERVICE: 'dd-producer',
        DD_ENV: 'prod',
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_ENDPOINT_URL: moto.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        CALLS: JSON.stringify([{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'from dd-trace' } }]),
      }),
    ),
  });
  assert.equal(r.code, 0, r.stderr);
  const ddSend = await agent.waitFor((spans) => spans.find((s) => s.name === 'aws.request' && s.resource.startsWith('sendMessage') && s.resource.includes(queue.name)));
  const messages = await drainQueue(sqsClient, queue.url, 1);
  assert.deepEqual(Object.keys(messages[0].MessageAttributes), ['_datadog'], 'dd-trace wrote one `_datadog` attribute');
  await consume('from-ddtrace-worker', sqsEvent(messages, queue.arn));
  const [invocation] = await intakeSpans((s) => s.service === 'from-ddtrace-worker' && s.name === 'aws.lambda', 1, 'our invocation span');
  const [hop] = await intakeSpans((s) => s.name === 'aws.sqs' && s.resource === queue.name, 1, "the queue's hop");
  assert.equal(invocation.traceID, BigInt.asUintN(64, ddSend.trace_id), 'same Datadog trace id');
  assert.equal(hop.parentID, BigInt.asUintN(64, ddSend.span_id), "the queue's hop is a child of dd-trace's SendMessage span");
  assert.equal(invocation.parentID, hop.spanID, 'our invocation follows the hop');
  assert.equal(invocation.meta['otel.trace_id'].slice(0, 16), ddSend.meta['_dd.p.tid'], 'same 128-bit trace id');
});

test('our producer (Datadog injection on) -> SQS -> a dd-trace consumer: dd-trace continues our trace from `_datadog`', async () => {
  const queue = await newQueue('dd-to-ddtrace');
  await runProducer({
    calls: [{ client: 'SQS', command: 'SendMessage', input: { QueueUrl: queue.url, MessageBody: 'to dd-trace' } }],
    endpoint: moto.url,
    otlpUrl: collector.otlpUrl,
    service: 'ours-to-dd',
    env: { ...viaCollector, ...DD_ON },
  });
  const [ours] = await intakeSpans((s) => s.service === 'ours-to-dd' && s.name === 'aws_sqs.send', 1, 'our producer span');
  const r = await runNode(['--require', 'dd-trace/init', path.join(fixtures, 'messaging-producer.cjs')], {
    env: cleanEnv(
      ddTraceEnv(agent.url, {
        DD_SERVICE: 'dd-consumer',
        DD_ENV: 'prod',
        AWS_REGION: region,
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_ENDPOINT_URL: moto.url,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        CALLS: JSON.stringify([{ client: 'SQS', command: 'ReceiveMessage', input: { QueueUrl: queue.url, MaxNumberOfMessages: 1 } }]),
      }),
    ),
  });
  assert.equal(r.code, 0, r.stderr);
  const ddConsumer = await agent.waitFor((spans) => spans.find((s) => s.service === 'dd-consumer' && BigInt.asUintN(64, s.parent_id) === ours.spanID));
  assert.equal(BigInt.asUintN(64, ddConsumer.trace_id), ours.traceID, 'same Datadog trace id');
  assert.equal(ddConsumer.meta['_dd.p.tid'], ours.meta['otel.trace_id'].slice(0, 16), 'same 128-bit trace id');
});
