/**
 * The trace contexts a Lambda event carries from its producers, for the
 * invocation wrapper (lambda-invocation.ts):
 *
 *   SQS          Records[].attributes.AWSTraceHeader, Records[].messageAttributes
 *                (traceparent/tracestate/baggage, x-amzn-trace-id, x-datadog-*,
 *                `_datadog` JSON as String or Binary); SNS->SQS: the same
 *                attributes inside the SNS envelope in the body (or as SQS
 *                attributes with raw delivery)
 *   SNS          Records[].Sns.MessageAttributes ({ Type, Value })
 *   Kinesis      `_datadog` in the JSON object in Records[].kinesis.data (base64)
 *   EventBridge  detail._datadog, detail.traceparent / tracestate
 *   invoke       context.clientContext.custom (what the caller's SDK put in ClientContext)
 *
 * Every record with a context becomes a span link (bounded in count and in
 * bytes); the context of a single-message event is also offered as the
 * invocation's parent. The work is bounded whatever the event holds: records
 * scanned, bytes decoded and parsed, keys read per carrier. Nothing here
 * throws into the invocation (the caller also guards it).
 */
import { isSpanContextValid, ROOT_CONTEXT, trace, type Attributes, type Context, type Link, type SpanContext } from '@opentelemetry/api';
import { carrierFromObject, currentMessagingSettings, DATADOG_KEY, extractInto, MAX_CARRIER_BYTES, parseDatadogJson, XRAY_KEY } from './messaging-carriers';

/** Most records looked at in one event (Lambda batches hold at most 10,000). */
export const MAX_RECORDS_SCANNED = 10_000;
/** Bytes of JSON decoded and parsed per event (SNS envelopes, Kinesis data); the rest of the records are read from their cheap carriers only. */
export const MAX_PARSED_BYTES = 4 * 1024 * 1024;
/** Bytes of link data per span: the collector sends links to Datadog as one JSON tag (`_dd.span_links`), whose value Datadog truncates at 25,000 bytes. */
export const MAX_LINK_BYTES = 16 * 1024;
// An SNS envelope holds a message of at most 256 KiB; a Kinesis record at most 1 MiB.
const MAX_ENVELOPE_CHARS = 300 * 1024;
const MAX_KINESIS_BASE64 = Math.ceil((1024 * 1024 * 4) / 3) + 4;
const MAX_ATTRIBUTES_READ = 20;
const MAX_KEY_LENGTH = 128;
// Keys a message attribute may carry a context under (lower-case).
const CONTEXT_ATTRIBUTE = /^(x-amzn-trace-id|traceparent|tracestate|baggage|x-datadog-[a-z-]+)$/;

export interface EventMessaging {
  /** The consumer span to make, for queue, topic, stream and event-bus events. */
  consumer?: { name: string; attributes: Attributes };
  /** One link per record with a context, at most the configured number. */
  links: Link[];
  /** The context of the only message of a single-message event: a candidate parent of the invocation. */
  parent?: Context;
}

interface Budget {
  parsedBytes: number;
}

/** What the event (and the invoke's client context) say about where it came from; undefined when nothing. */
export function readEventMessaging(event: unknown, clientContext: unknown, maxLinks = currentMessagingSettings().maxLinks): EventMessaging | undefined {
  const budget: Budget = { parsedBytes: 0 };
  if (isRecord(event)) {
    const records = event.Records;
    if (Array.isArray(records) && records.length > 0 && isRecord(records[0])) {
      const source = records[0].eventSource ?? records[0].EventSource;
      if (source === 'aws:sqs') return fromRecords(records, 'aws:sqs', sqsRecord, sqsConsumer, maxLinks, budget);
      if (source === 'aws:sns') return fromRecords(records, 'aws:sns', snsRecord, snsConsumer, maxLinks, budget);
      if (source === 'aws:kinesis') return fromRecords(records, 'aws:kinesis', kinesisRecord, kinesisConsumer, maxLinks, budget);
    }
    if (typeof event['detail-type'] === 'string' && typeof event.source === 'string' && 'detail' in event) {
      return fromEventBridge(event, maxLinks);
    }
  }
  const custom = isRecord(clientContext) ? clientContext.custom : undefined;
  if (isRecord(custom)) {
    const context = extractInto(ROOT_CONTEXT, carrierFromObject(custom));
    const spanContext = validSpanContext(context);
    if (spanContext !== undefined) return { links: maxLinks > 0 ? [{ context: spanContext }] : [], parent: context };
  }
  return undefined;
}

interface RecordContext {
  context: Context;
  spanContext: SpanContext;
  messageId: string | undefined;
}

function fromRecords(
  records: unknown[],
  source: string,
  read: (record: Record<string, unknown>, budget: Budget) => Context,
  consumer: (first: Record<string, unknown>, count: number) => EventMessaging['consumer'],
  maxLinks: number,
  budget: Budget,
): EventMessaging {
  const links: Link[] = [];
  let linkBytes = 0;
  let single: RecordContext | undefined;
  const scan = Math.min(records.length, MAX_RECORDS_SCANNED);
  // A single record is read even with links off: its context may parent the invocation.
  for (let i = 0; i < scan && (links.length < maxLinks || records.length === 1); i++) {
    const record = records[i];
    if (!isRecord(record) || (record.eventSource ?? record.EventSource) !== source) continue;
    const context = read(record, budget);
    const spanContext = validSpanContext(context);
    if (spanContext === undefined) continue;
    const messageId = messageIdOf(record);
    if (records.length === 1) single = { context, spanContext, messageId };
    const bytes = linkSize(spanContext, messageId);
    if (links.length >= maxLinks || linkBytes + bytes > MAX_LINK_BYTES) break;
    linkBytes += bytes;
    links.push({ context: spanContext, attributes: messageId === undefined ? {} : { 'messaging.message.id': messageId } });
  }
  const first = records[0] as Record<string, unknown>;
  return { consumer: consumer(first, records.length), links, parent: single?.context };
}

function linkSize(spanContext: SpanContext, messageId: string | undefined): number {
  // {"trace_id":"…","span_id":"…","tracestate":"…","attributes":{"messaging.message.id":"…"}} as the exporter writes it
  return 96 + (spanContext.traceState?.serialize().length ?? 0) + (messageId === undefined ? 0 : 24 + messageId.length);
}

function validSpanContext(context: Context): SpanContext | undefined {
  const spanContext = trace.getSpanContext(context);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

function messageIdOf(record: Record<string, unknown>): string | undefined {
  const sns = record.Sns;
  const kinesis = record.kinesis;
  const id = isRecord(sns) ? sns.MessageId : isRecord(kinesis) ? kinesis.sequenceNumber : record.messageId;
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

// ---------------------------------------------------------------------------
// SQS (and SNS->SQS)
// ---------------------------------------------------------------------------

function sqsRecord(record: Record<string, unknown>, budget: Budget): Context {
  let context = ROOT_CONTEXT;
  // Later sources win: the X-Ray header SQS kept, then what the message itself carries.
  const attributes = record.attributes;
  const traceHeader = isRecord(attributes) ? attributes.AWSTraceHeader : undefined;
  if (typeof traceHeader === 'string' && traceHeader.length <= 512) context = extractInto(context, { [XRAY_KEY]: traceHeader });
  const body = record.body;
  if (typeof body === 'string') context = extractInto(context, snsEnvelopeCarrier(body, budget));
  return extractInto(context, attributeCarrier(record.messageAttributes, sqsAttributeValue));
}

/** The carrier in an SNS notification delivered to SQS without raw delivery (the body is SNS's JSON envelope). */
function snsEnvelopeCarrier(body: string, budget: Budget): Record<string, string> | undefined {
  if (body.length > MAX_ENVELOPE_CHARS || body.charCodeAt(0) !== 123 /* { */ || !body.includes('"MessageAttributes"') || !body.includes('"TopicArn"')) return undefined;
  if (budget.parsedBytes + body.length > MAX_PARSED_BYTES) return undefined;
  budget.parsedBytes += body.length;
  try {
    const envelope = JSON.parse(body) as unknown;
    if (!isRecord(envelope) || envelope.Type !== 'Notification') return undefined;
    return attributeCarrier(envelope.MessageAttributes, snsAttributeValue);
  } catch {
    return undefined;
  }
}

/** An SQS event's message attribute: { stringValue | binaryValue (base64), dataType }. */
function sqsAttributeValue(value: Record<string, unknown>): { text?: string; base64?: string } {
  return { text: stringOf(value.stringValue ?? value.StringValue), base64: stringOf(value.binaryValue ?? value.BinaryValue) };
}

/** An SNS message attribute: { Type: 'String' | 'Binary' | …, Value }. */
function snsAttributeValue(value: Record<string, unknown>): { text?: string; base64?: string } {
  const content = stringOf(value.Value);
  return value.Type === 'Binary' ? { base64: content } : { text: content };
}

/** The context keys among a message's attributes, `_datadog` unpacked; bounded in keys and bytes. */
function attributeCarrier(attributes: unknown, valueOf: (value: Record<string, unknown>) => { text?: string; base64?: string }): Record<string, string> | undefined {
  if (!isRecord(attributes)) return undefined;
  let carrier: Record<string, string> | undefined;
  let direct: Record<string, string> | undefined;
  let read = 0;
  for (const name in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, name)) continue;
    if (++read > MAX_ATTRIBUTES_READ) break;
    const raw = attributes[name];
    if (!isRecord(raw) || name.length > MAX_KEY_LENGTH) continue;
    const lower = name.toLowerCase();
    const { text, base64 } = valueOf(raw);
    if (lower === DATADOG_KEY) {
      carrier = parseDatadogJson(text) ?? parseDatadogJson(base64, true) ?? carrier;
    } else if (CONTEXT_ATTRIBUTE.test(lower) && text !== undefined && text.length <= MAX_CARRIER_BYTES) {
      (direct ??= {})[lower] = text;
    }
  }
  // Attributes written one by one replace the same keys from `_datadog`.
  return carrier === undefined ? direct : { ...carrier, ...direct };
}

function sqsConsumer(first: Record<string, unknown>, count: number): EventMessaging['consumer'] {
  const queue = arnResource(first.eventSourceARN, ':');
  return consumerSpan('aws_sqs', queue, count, messageIdOf(first));
}

// ---------------------------------------------------------------------------
// SNS
// ---------------------------------------------------------------------------

function snsRecord(record: Record<string, unknown>): Context {
  const sns = record.Sns;
  if (!isRecord(sns)) return ROOT_CONTEXT;
  return extractInto(ROOT_CONTEXT, attributeCarrier(sns.MessageAttributes, snsAttributeValue));
}

function snsConsumer(first: Record<string, unknown>, count: number): EventMessaging['consumer'] {
  const sns = first.Sns;
  const topic = arnResource(isRecord(sns) ? sns.TopicArn : undefined, ':');
  return consumerSpan('aws.sns', topic, count, messageIdOf(first));
}

// ---------------------------------------------------------------------------
// Kinesis
// ---------------------------------------------------------------------------

function kinesisRecord(record: Record<string, unknown>, budget: Budget): Context {
  const kinesis = record.kinesis;
  const data = isRecord(kinesis) ? kinesis.data : undefined;
  if (typeof data !== 'string' || data.length > MAX_KINESIS_BASE64) return ROOT_CONTEXT;
  // Base64 of text starting with '{' starts with 'e' then one of w-z, 0-9, +, / (or I, C, D for leading
  // whitespace): other records are skipped undecoded.
  if (!/^(e[w-z0-9+/]|[ICD])/.test(data) || budget.parsedBytes + data.length > MAX_PARSED_BYTES) return ROOT_CONTEXT;
  budget.parsedBytes += data.length;
  const text = Buffer.from(data, 'base64').toString('utf8');
  if (!text.includes(`"${DATADOG_KEY}"`)) return ROOT_CONTEXT;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (!isRecord(parsed)) return ROOT_CONTEXT;
    return extractInto(ROOT_CONTEXT, carrierFromObject(parsed[DATADOG_KEY]));
  } catch {
    return ROOT_CONTEXT;
  }
}

function kinesisConsumer(first: Record<string, unknown>, count: number): EventMessaging['consumer'] {
  return consumerSpan('aws.kinesis', arnResource(first.eventSourceARN, '/'), count, messageIdOf(first));
}

// ---------------------------------------------------------------------------
// EventBridge
// ---------------------------------------------------------------------------

function fromEventBridge(event: Record<string, unknown>, maxLinks: number): EventMessaging {
  const detail = event.detail;
  let carrier: Record<string, string> = {};
  if (isRecord(detail)) {
    carrier = carrierFromObject(detail[DATADOG_KEY]);
    for (const key of ['traceparent', 'tracestate']) {
      const value = detail[key];
      if (typeof value === 'string' && value.length <= MAX_CARRIER_BYTES) carrier[key] = value;
    }
  }
  const context = extractInto(ROOT_CONTEXT, carrier);
  const spanContext = validSpanContext(context);
  const id = typeof event.id === 'string' && event.id.length <= 128 ? event.id : undefined;
  const source = typeof event.source === 'string' && event.source.length <= 256 ? event.source : undefined;
  return {
    consumer: consumerSpan('aws.eventbridge', source, 1, id),
    links: spanContext !== undefined && maxLinks > 0 ? [{ context: spanContext, attributes: id === undefined ? {} : { 'messaging.message.id': id } }] : [],
    parent: spanContext !== undefined ? context : undefined,
  };
}

// ---------------------------------------------------------------------------

function consumerSpan(system: string, destination: string | undefined, count: number, messageId: string | undefined): EventMessaging['consumer'] {
  const attributes: Attributes = {
    'messaging.system': system,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
  };
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  if (count > 1) attributes['messaging.batch.message_count'] = count;
  else if (messageId !== undefined) attributes['messaging.message.id'] = messageId;
  return { name: `${destination ?? system} process`, attributes };
}

/** The resource name at the end of an ARN (`…:queue-name`, `…:stream/name`). */
function arnResource(arn: unknown, separator: string): string | undefined {
  if (typeof arn !== 'string' || arn.length > 2048) return undefined;
  const at = arn.lastIndexOf(separator);
  const name = at === -1 ? arn : arn.slice(at + 1);
  return name === '' ? undefined : name;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
