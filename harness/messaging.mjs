// Messaging tests' shared parts: the traced producer process, Lambda events built from what
// moto returns (in the shapes Lambda's event source mappings and triggers deliver), and
// traced Lambda "sandboxes" (test/fixtures/lambda-runtime.mjs with the preload).
import path from 'node:path';
import { createRequire } from 'node:module';
import { cleanEnv, fixtures, registerCjs, repoRoot, runNode } from './processes.mjs';
import { credentials, region } from './moto.mjs';

const require = createRequire(import.meta.url);
export const sqs = require('@aws-sdk/client-sqs');
export const sns = require('@aws-sdk/client-sns');
export const eventbridge = require('@aws-sdk/client-eventbridge');
export const kinesis = require('@aws-sdk/client-kinesis');

export const ACCOUNT = '123456789012';
const awsEnv = (endpoint) => ({
  AWS_REGION: region,
  AWS_ACCESS_KEY_ID: credentials.accessKeyId,
  AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
  AWS_ENDPOINT_URL: endpoint,
  // The SDK's notice that its 2027 releases need Node 22: not ours, and not under test.
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/** Runs the traced producer (test/fixtures/messaging-producer.cjs); resolves its per-call results. */
export async function runProducer({ calls, endpoint, otlpUrl, service = 'producer', env = {} }) {
  const r = await runNode(['--require', registerCjs, path.join(fixtures, 'messaging-producer.cjs')], {
    env: cleanEnv({ ...awsEnv(endpoint), OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl, OTEL_SERVICE_NAME: service, OTEL_BSP_SCHEDULE_DELAY: '50', CALLS: JSON.stringify(calls), ...env }),
    cwd: repoRoot,
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`producer failed (${r.code}): ${r.stderr}`);
  const results = JSON.parse(r.stdout.trim().split('\n').at(-1));
  for (const [i, result] of results.entries()) if (!result.ok) throw new Error(`producer call ${i} (${calls[i].client}.${calls[i].command}) failed: ${result.error}\n${r.stderr}`);
  return results;
}

/** Runs a traced Lambda sandbox over `invocations` ([{ event, traceHeader, clientContext }]); resolves the runtime's lines. */
export async function runLambda({ fn, invocations, otlpUrl, env = {}, handler = 'index.handler' }) {
  const r = await runNode(['--require', registerCjs, path.join(fixtures, 'lambda-runtime.mjs')], {
    env: cleanEnv({
      AWS_LAMBDA_FUNCTION_NAME: fn,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_REGION: region,
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
      LAMBDA_TASK_ROOT: path.join(fixtures, 'lambda', 'cjs'),
      _HANDLER: handler,
      OTEL_EXPORTER_OTLP_ENDPOINT: otlpUrl,
      INVOCATIONS: JSON.stringify(invocations),
      ...env,
    }),
    timeoutMs: 30_000,
  });
  if (r.code !== 0) throw new Error(`Lambda sandbox failed (${r.code}): ${r.stderr}`);
  const lines = r.stdout
    .trim()
    .split('\n')
    .filter((l) => l.startsWith('{"requestId"'))
    .map((l) => JSON.parse(l));
  return { lines, stderr: r.stderr };
}

export const client = (Sdk, name, endpoint, extra = {}) => new Sdk[`${name}Client`]({ region, endpoint, credentials, maxAttempts: 1, ...extra });

/** Every message now in the queue (all attributes), as ReceiveMessage returns them; deleted from the queue. */
export async function drainQueue(sqsClient, queueUrl, expected) {
  const messages = [];
  const deadline = Date.now() + 10_000;
  while (messages.length < expected && Date.now() < deadline) {
    const out = await sqsClient.send(
      new sqs.ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ['All'], MessageSystemAttributeNames: ['All'], WaitTimeSeconds: 0 }),
    );
    for (const m of out.Messages ?? []) {
      messages.push(m);
      await sqsClient.send(new sqs.DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: m.ReceiptHandle }));
    }
  }
  return messages;
}

/** The Lambda SQS event (event source mapping) for messages as ReceiveMessage returned them. */
export function sqsEvent(messages, queueArn) {
  return {
    Records: messages.map((m) => ({
      messageId: m.MessageId,
      receiptHandle: m.ReceiptHandle,
      body: m.Body,
      attributes: { ApproximateReceiveCount: '1', ApproximateFirstReceiveTimestamp: String(Date.now()), ...m.Attributes },
      messageAttributes: Object.fromEntries(
        Object.entries(m.MessageAttributes ?? {}).map(([name, v]) => [
          name,
          {
            ...(v.StringValue !== undefined ? { stringValue: v.StringValue } : {}),
            ...(v.BinaryValue !== undefined ? { binaryValue: Buffer.from(v.BinaryValue).toString('base64') } : {}),
            stringListValues: v.StringListValues ?? [],
            binaryListValues: (v.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
            dataType: v.DataType,
          },
        ]),
      ),
      md5OfBody: m.MD5OfBody,
      eventSource: 'aws:sqs',
      eventSourceARN: queueArn,
      awsRegion: region,
    })),
  };
}

/** The Lambda SNS event for notifications as SNS delivered them to an SQS subscription (the JSON envelopes). */
export function snsEvent(envelopes, subscriptionArn) {
  return {
    Records: envelopes.map((e) => ({
      EventSource: 'aws:sns',
      EventVersion: '1.0',
      EventSubscriptionArn: subscriptionArn,
      Sns: {
        Type: e.Type,
        MessageId: e.MessageId,
        TopicArn: e.TopicArn,
        Subject: e.Subject ?? null,
        Message: e.Message,
        Timestamp: e.Timestamp,
        SignatureVersion: e.SignatureVersion,
        Signature: e.Signature,
        SigningCertUrl: e.SigningCertURL,
        UnsubscribeUrl: e.UnsubscribeURL,
        MessageAttributes: e.MessageAttributes ?? {},
      },
    })),
  };
}

/** The Lambda Kinesis event for records as GetRecords returned them. */
export function kinesisEvent(records, streamArn, shardId) {
  return {
    Records: records.map((r) => ({
      kinesis: {
        kinesisSchemaVersion: '1.0',
        partitionKey: r.PartitionKey,
        sequenceNumber: r.SequenceNumber,
        data: Buffer.from(r.Data).toString('base64'),
        approximateArrivalTimestamp: new Date(r.ApproximateArrivalTimestamp).getTime() / 1000,
      },
      eventSource: 'aws:kinesis',
      eventVersion: '1.0',
      eventID: `${shardId}:${r.SequenceNumber}`,
      eventName: 'aws:kinesis:record',
      invokeIdentityArn: `arn:aws:iam::${ACCOUNT}:role/consumer`,
      awsRegion: region,
      eventSourceARN: streamArn,
    })),
  };
}

export const xrayHeader = (traceId, parent, sampled = 1) => `Root=1-${traceId.slice(0, 8)}-${traceId.slice(8)};Parent=${parent};Sampled=${sampled}`;
export const parseXray = (header) => {
  const m = /Root=1-([0-9a-f]{8})-([0-9a-f]{24});Parent=([0-9a-f]{16})/.exec(header ?? '');
  return m ? { traceId: m[1] + m[2], spanId: m[3] } : undefined;
};
export const parseTraceparent = (value) => {
  const m = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/.exec(value ?? '');
  return m ? { traceId: m[1], spanId: m[2] } : undefined;
};
