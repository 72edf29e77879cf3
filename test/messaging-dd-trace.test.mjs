// dd-trace on the other side of every messaging hop (issue 19, item 4): SNS, EventBridge and
// Kinesis in both directions, with dd-trace 5 and 6, with dd-trace's default propagation style
// and with DD_TRACE_PROPAGATION_STYLE=datadog. (SQS: test/messaging-datadog.test.mjs.)
//
// dd-trace -> us: a live dd-trace (test/fixtures/dd-trace-messaging.cjs, its spans decoded by the
// agent double) publishes to moto; each event is built from what moto delivered (SNS -> SQS
// subscription, EventBridge rule -> SQS target, Kinesis GetRecords) in the shapes Lambda gets
// them, and handled by our traced Lambda runtime (test/fixtures/lambda-runtime.mjs with the
// preload) exporting through the real collector to the Datadog intake double: asserted is that
// Datadog shows the invocation in dd-trace's trace, as the child of dd-trace's send span.
//
// us -> dd-trace: our traced producer (test/fixtures/messaging-producer.cjs, the EventBridge and
// Kinesis opt-ins on) publishes; a dd-trace process then consumes with its own instrumentation
// where dd-trace has one (SQS ReceiveMessage on the queue subscribed to the topic or targeted by
// the rule: dd-trace reads the SNS envelope and the EventBridge envelope in the body; Kinesis
// GetRecords: dd-trace reads `_datadog` in the first record), and hands the carrier a Lambda
// consumer would get (SNS `_datadog`, `detail._datadog`, Kinesis `_datadog`) to
// `tracer.extract('text_map', …)`: dd-trace itself has no consumer for SNS -> Lambda,
// EventBridge -> Lambda or Kinesis -> Lambda events (that is Datadog's Lambda library, not
// dd-trace), so for those the extraction is what is asserted.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { collectorBinary, startCollector } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { startDatadogAgent } from '../harness/datadog-agent.mjs';
import { startMoto } from '../harness/moto.mjs';
import { client, drainQueue, eventbridge, kinesis, kinesisEvent, runLambda, runProducer, sns, snsEvent, sqs, sqsEvent } from '../harness/messaging.mjs';
import { runDdTrace } from '../harness/dd-trace-messaging.mjs';

const { NodeHttpHandler } = createRequire(import.meta.url)('@smithy/node-http-handler');

let intake;
let collector;
let agent;
let moto;
let sqsClient;
let snsClient;
let ebClient;
let kClient;
before(async () => {
  collectorBinary();
  intake = await startDatadogIntake();
  collector = await startCollector({ intakeUrl: intake.url });
  agent = await startDatadogAgent();
  moto = await startMoto();
  sqsClient = client(sqs, 'SQS', moto.url);
  snsClient = client(sns, 'SNS', moto.url);
  ebClient = client(eventbridge, 'EventBridge', moto.url);
  kClient = client(kinesis, 'Kinesis', moto.url, { requestHandler: new NodeHttpHandler() });
});
after(async () => {
  for (const c of [sqsClient, snsClient, ebClient, kClient]) c?.destroy();
  await moto?.stop();
  await agent?.close();
  await collector?.stop();
  await intake?.close();
});

const MAJORS = [5, 6];
// dd-trace's default (datadog,tracecontext,baggage), and Datadog headers only.
const STYLES = { default: {}, datadog: { DD_TRACE_PROPAGATION_STYLE: 'datadog' } };
const viaCollector = { DD_ENV: 'prod', OTEL_BSP_SCHEDULE_DELAY: '50' };
const OPT_INS = { OTEL_XRAY_DD_EVENTBRIDGE_INJECT: 'true', OTEL_XRAY_DD_KINESIS_INJECT: 'true' };
// Our producer configurations: defaults (W3C only) and Datadog injection on.
const OURS = { w3c: { ...OPT_INS }, datadog: { ...OPT_INS, OTEL_PROPAGATORS: 'xray,datadog,tracecontext,baggage' } };

const u64 = (v) => BigInt.asUintN(64, BigInt(v));
const hex16 = (v) => u64(v).toString(16).padStart(16, '0');

/** A topic with an SQS subscription (enveloped), an EventBridge rule -> SQS target, a stream: one set per scenario. */
async function destinations(label) {
  const queue = async (name) => {
    const { QueueUrl } = await sqsClient.send(new sqs.CreateQueueCommand({ QueueName: name }));
    const { Attributes } = await sqsClient.send(new sqs.GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { name, url: QueueUrl, arn: Attributes.QueueArn };
  };
  const snsQueue = await queue(`${label}-sns`);
  const ebQueue = await queue(`${label}-eb`);
  const { TopicArn } = await snsClient.send(new sns.CreateTopicCommand({ Name: `${label}-topic` }));
  const { SubscriptionArn } = await snsClient.send(new sns.SubscribeCommand({ TopicArn, Protocol: 'sqs', Endpoint: snsQueue.arn }));
  const source = `${label}.orders`;
  await ebClient.send(new eventbridge.PutRuleCommand({ Name: `${label}-rule`, EventPattern: JSON.stringify({ source: [source] }) }));
  await ebClient.send(new eventbridge.PutTargetsCommand({ Rule: `${label}-rule`, Targets: [{ Id: 'q', Arn: ebQueue.arn }] }));
  const StreamName = `${label}-stream`;
  await kClient.send(new kinesis.CreateStreamCommand({ StreamName, ShardCount: 1 }));
  const { StreamDescriptionSummary } = await kClient.send(new kinesis.DescribeStreamSummaryCommand({ StreamName }));
  return { snsQueue, ebQueue, TopicArn, SubscriptionArn, source, StreamName, streamArn: StreamDescriptionSummary.StreamARN };
}

/** One SNS Publish, one PutEvents entry, one PutRecord, all JSON payloads. */
const sends = (d) => [
  { client: 'SNS', command: 'Publish', input: { TopicArn: d.TopicArn, Message: '{"order":1}' } },
  { client: 'EventBridge', command: 'PutEvents', input: { Entries: [{ Source: d.source, DetailType: 'OrderPlaced', Detail: '{"order":2}' }] } },
  { client: 'Kinesis', command: 'PutRecord', input: { StreamName: d.StreamName, PartitionKey: 'k', Data: '{"order":3}' } },
];

/** The stream's record at `sequenceNumber` (GetRecords from an AT_SEQUENCE_NUMBER iterator, Limit 1). */
async function shardIterator(d, { ShardId, SequenceNumber }) {
  const { ShardIterator } = await kClient.send(
    new kinesis.GetShardIteratorCommand({ StreamName: d.StreamName, ShardId, ShardIteratorType: 'AT_SEQUENCE_NUMBER', StartingSequenceNumber: SequenceNumber }),
  );
  return ShardIterator;
}

/** Messages now in the queue, left in it (VisibilityTimeout 0): other consumers read them again. */
async function peekQueue(queueUrl) {
  const out = await sqsClient.send(
    new sqs.ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], VisibilityTimeout: 0, WaitTimeSeconds: 0 }),
  );
  return out.Messages ?? [];
}

const intakeSpans = (predicate, count, what) => intake.waitForSpans(predicate, count, what);

// ---------------------------------------------------------------------------
// dd-trace producer -> SNS / EventBridge / Kinesis -> our Lambda consumer
// ---------------------------------------------------------------------------

for (const major of MAJORS) {
  for (const [style, styleEnv] of Object.entries(STYLES)) {
    test(`dd-trace ${major} producer (propagation style ${style}) -> SNS, SNS->SQS, EventBridge, EventBridge->SQS, Kinesis -> our Lambda: each invocation is the child of dd-trace's send span in Datadog`, async (t) => {
      const label = `dd${major}-${style}-in`;
      const d = await destinations(label);
      const service = `${label}-producer`;
      const { calls } = await runDdTrace({ major, agentUrl: agent.url, endpoint: moto.url, service, calls: sends(d), env: styleEnv });
      const kinesisPut = calls[2].output;

      // dd-trace's send spans, as its agent got them.
      const ddSpans = await agent.waitFor((spans) => {
        const find = (suffix, resource) => spans.find((s) => s.service === `${service}-aws-${suffix}` && s.name === 'aws.request' && s.resource.startsWith(resource));
        const found = { sns: find('sns', 'publish'), eventbridge: find('eventbridge', 'putEvents'), kinesis: find('kinesis', 'putRecord') };
        return Object.values(found).every(Boolean) ? found : undefined;
      });

      // What moto delivered.
      const envelopes = await drainQueue(sqsClient, d.snsQueue.url, 1);
      const ebMessages = await drainQueue(sqsClient, d.ebQueue.url, 1);
      const { Records } = await kClient.send(new kinesis.GetRecordsCommand({ ShardIterator: await shardIterator(d, kinesisPut), Limit: 1 }));
      assert.equal(envelopes.length, 1, 'SNS delivered the notification to the subscribed queue');
      assert.equal(ebMessages.length, 1, 'the rule delivered the event to its SQS target');
      assert.equal(Records.length, 1);

      // The carriers dd-trace wrote: `_datadog` everywhere (SNS: Binary attribute; EventBridge:
      // detail._datadog; Kinesis: data._datadog), W3C keys in it only with tracecontext on.
      const envelope = JSON.parse(envelopes[0].Body);
      const ebEvent = JSON.parse(ebMessages[0].Body);
      const carriers = {
        sns: JSON.parse(Buffer.from(envelope.MessageAttributes._datadog.Value, 'base64').toString('utf8')),
        eventbridge: ebEvent.detail._datadog,
        kinesis: JSON.parse(Buffer.from(Records[0].Data).toString('utf8'))._datadog,
      };
      assert.equal(envelope.MessageAttributes._datadog.Type, 'Binary');
      for (const [service_, carrier] of Object.entries(carriers)) {
        assert.equal(carrier['x-datadog-parent-id'], u64(ddSpans[service_].span_id).toString(), `${service_}: dd-trace's context is its send span`);
        assert.equal(carrier.traceparent === undefined, style === 'datadog', `${service_}: traceparent in _datadog only with tracecontext injection (${JSON.stringify(carrier)})`);
      }

      // The events as Lambda delivers them.
      const snsRecord = snsEvent([envelope], d.SubscriptionArn);
      // moto 5.2.1 cannot deliver this raw: it stores SNS's base64 text as the SQS BinaryValue and
      // its ReceiveMessage then fails (HTTP 500). The raw record is built from the envelope, as raw
      // delivery makes it (the Binary attribute becomes the SQS message's Binary attribute).
      const rawMessage = {
        ...envelopes[0],
        Body: envelope.Message,
        MessageAttributes: { _datadog: { DataType: 'Binary', BinaryValue: Buffer.from(envelope.MessageAttributes._datadog.Value, 'base64') } },
      };
      const invocations = [
        ['SNS -> Lambda', 'sns', snsRecord],
        ['SNS -> SQS (envelope) -> Lambda', 'sns', sqsEvent(envelopes, d.snsQueue.arn)],
        ['SNS -> SQS (raw delivery) -> Lambda', 'sns', sqsEvent([rawMessage], d.snsQueue.arn)],
        ['EventBridge -> Lambda', 'eventbridge', ebEvent],
        ['EventBridge -> SQS -> Lambda', 'eventbridge', sqsEvent(ebMessages, d.ebQueue.arn)],
        ['Kinesis -> Lambda', 'kinesis', kinesisEvent(Records, d.streamArn, kinesisPut.ShardId)],
      ];
      const fn = `${label}-worker`;
      const { lines, stderr } = await runLambda({
        fn,
        otlpUrl: collector.otlpUrl,
        invocations: invocations.map(([, , event]) => ({ event })),
        env: { ...viaCollector, OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS: 'false' },
      }); // the hop in between: messaging-datadog.test.mjs
      assert.deepEqual(
        lines.map((l) => l.ok),
        invocations.map(() => true),
        stderr,
      );

      const spans = await intakeSpans((s) => s.service === fn && s.name === 'aws.lambda', invocations.length, `${invocations.length} invocation spans of ${fn}`);
      for (const [i, [hop, from]] of invocations.entries()) {
        const invocation = spans.find((s) => s.meta['faas.invocation_id'] === lines[i].requestId);
        assert.ok(invocation, `${hop}: the invocation span`);
        const dd = ddSpans[from];
        assert.equal(invocation.traceID, u64(dd.trace_id), `${hop}: Datadog shows dd-trace's trace`);
        assert.equal(invocation.parentID, u64(dd.span_id), `${hop}: the invocation is the child of dd-trace's ${dd.resource}`);
        assert.equal(invocation.meta['otel.trace_id'], `${dd.meta['_dd.p.tid']}${hex16(dd.trace_id)}`, `${hop}: the same 128-bit trace id`);
      }
      t.diagnostic(`${invocations.length} hops joined dd-trace ${major}'s trace`);
    });
  }
}

// ---------------------------------------------------------------------------
// our producer -> SNS / EventBridge / Kinesis -> a dd-trace consumer
// ---------------------------------------------------------------------------

let ours;
/** Our producer, once per configuration: what it sent, its send spans (as Datadog got them), the delivered carriers. */
function ourMessages() {
  ours ??= (async () => {
    const out = {};
    for (const [config, env] of Object.entries(OURS)) {
      const d = await destinations(`ours-${config}`);
      const service = `ours-${config}-producer`;
      const results = await runProducer({ calls: sends(d), endpoint: moto.url, otlpUrl: collector.otlpUrl, service, env: { ...viaCollector, ...env } });
      const producers = await intakeSpans((s) => s.service === service && s.meta['span.kind'] === 'producer', 3, `${config}: our three send spans`);
      const bySystem = (system) => producers.find((s) => s.meta['messaging.system'] === system);
      const spans = { sns: bySystem('aws.sns'), eventbridge: bySystem('aws.eventbridge'), kinesis: bySystem('aws.kinesis') };
      for (const [k, s] of Object.entries(spans)) assert.ok(s, `${config}: our ${k} send span (have ${producers.map((p) => p.name)})`);

      const [envelopeMessage] = await peekQueue(d.snsQueue.url);
      const [ebMessage] = await peekQueue(d.ebQueue.url);
      const kinesisPut = results[2].output;
      const iterator = await shardIterator(d, kinesisPut);
      const { Records } = await kClient.send(new kinesis.GetRecordsCommand({ ShardIterator: iterator, Limit: 1 }));
      const envelope = JSON.parse(envelopeMessage.Body);
      const snsAttr = envelope.MessageAttributes._datadog;
      out[config] = {
        d,
        spans,
        iterator,
        envelope,
        // The carrier a consumer of each delivered message gets.
        carriers: {
          sns: snsAttr ? JSON.parse(Buffer.from(snsAttr.Value, 'base64').toString('utf8')) : undefined,
          eventbridge: JSON.parse(ebMessage.Body).detail._datadog,
          kinesis: JSON.parse(Buffer.from(Records[0].Data).toString('utf8'))._datadog,
        },
      };
    }
    return out;
  })();
  return ours;
}

/**
 * Which (our configuration, service) pairs dd-trace must continue, per dd-trace style; the others
 * cannot work and are kept out of the assertions:
 * - ours=w3c, SNS: we write `traceparent` (and `tracestate`) message attributes, no `_datadog`;
 *   dd-trace's SQS consumer reads only `_datadog` (SNS -> SQS: the envelope's `_datadog`), and
 *   dd-trace has no SNS -> Lambda consumer. Documented: turn Datadog injection on when dd-trace
 *   consumes (docs/messaging.md).
 * EventBridge and Kinesis payloads, once opted in, always carry Datadog's keys in `_datadog`, so
 * dd-trace continues them whatever its propagation style.
 */
const mustJoin = (config, service) => config === 'datadog' || service !== 'sns';

for (const major of MAJORS) {
  for (const [style, styleEnv] of Object.entries(STYLES)) {
    test(`our producer -> SNS->SQS, EventBridge->SQS, Kinesis -> dd-trace ${major} consumer (propagation style ${style}): dd-trace continues our trace`, async (t) => {
      const sent = await ourMessages();
      const service = `dd${major}-${style}-out-consumer`;
      const configs = Object.keys(OURS);
      // Per our configuration: ReceiveMessage on the topic's queue and on the rule's queue, GetRecords.
      const calls = configs.flatMap((config) => {
        const { d, iterator } = sent[config];
        const receive = (q) => ({
          client: 'SQS',
          command: 'ReceiveMessage',
          input: { QueueUrl: q.url, MaxNumberOfMessages: 1, VisibilityTimeout: 0, MessageAttributeNames: ['All'] },
        });
        return [receive(d.snsQueue), receive(d.ebQueue), { client: 'Kinesis', command: 'GetRecords', input: { ShardIterator: iterator, Limit: 1 } }];
      });
      const services = ['sns', 'eventbridge', 'kinesis'];
      const extract = configs.flatMap((config) => services.map((s) => sent[config].carriers[s] ?? {}));
      const out = await runDdTrace({ major, agentUrl: agent.url, endpoint: moto.url, service, calls, extract, env: styleEnv });
      for (const [i, call] of calls.entries()) {
        const got = call.command === 'GetRecords' ? out.calls[i].output.Records : out.calls[i].output.Messages;
        assert.equal(got?.length, 1, `dd-trace's ${call.command} #${i} got the message`);
      }

      // dd-trace's consumer spans (aws.response), as its agent got them.
      // Waited for: one under each of our send spans that must be continued (the others are looked
      // for once these are in: dd-trace sent all its spans before it exited).
      const expected = configs.flatMap((config) => services.filter((svc) => mustJoin(config, svc, style)).map((svc) => sent[config].spans[svc].spanID));
      const isConsumer = (s) => s.service.startsWith(service) && s.name === 'aws.response';
      await agent.waitFor((spans) => expected.every((id) => spans.some((s) => isConsumer(s) && u64(s.parent_id) === id)) || undefined);
      const consumerSpans = agent.spans.filter(isConsumer);

      const matrix = [];
      for (const [c, config] of configs.entries()) {
        for (const [k, svc] of services.entries()) {
          const ourSpan = sent[config].spans[svc];
          const ourTraceId = ourSpan.meta['otel.trace_id'];
          const consumer = consumerSpans.find((s) => u64(s.parent_id) === ourSpan.spanID);
          const extracted = out.extracted[c * services.length + k];
          const joined = Boolean(consumer) && u64(consumer.trace_id) === ourSpan.traceID;
          const extractedOk = extracted?.traceId === ourTraceId && extracted?.spanId === hex16(ourSpan.spanID);
          matrix.push(`${config}/${svc}: consumer ${joined ? 'joined' : 'did not join'}, extract ${extractedOk ? 'ok' : JSON.stringify(extracted)}`);
          if (!mustJoin(config, svc, style)) continue; // cannot work: see mustJoin
          const hop = `ours=${config} ${svc}`;
          assert.ok(
            consumer,
            `${hop}: a dd-trace consumer span under our send span (dd-trace spans: ${JSON.stringify(consumerSpans.map((s) => [s.resource, String(u64(s.parent_id))]))})`,
          );
          assert.equal(u64(consumer.trace_id), ourSpan.traceID, `${hop}: same Datadog trace id`);
          assert.equal(consumer.meta['_dd.p.tid'], ourTraceId.slice(0, 16), `${hop}: same 128-bit trace id`);
          assert.deepEqual(
            extracted,
            { traceId: ourTraceId, spanId: hex16(ourSpan.spanID), samplingPriority: 1 },
            `${hop}: tracer.extract('text_map', _datadog) gives our trace and span`,
          );
        }
      }
      t.diagnostic(matrix.join('; '));
    });
  }
}
