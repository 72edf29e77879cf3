/**
 * A message body that is another service's JSON envelope: an SNS
 * notification (SNS->SQS without raw delivery) or an EventBridge event
 * (EventBridge rule -> SQS or SNS target). The producer's context is inside.
 * Parsing is bounded by the event's budget and skipped for bodies that cannot
 * be an envelope.
 */
import { type Carrier } from './upstream';
import { attributeCarrier, snsAttributeValue } from './attributes';
import { eventBridgeCarrier } from './eventbridge';
import { MAX_PARSED_BYTES } from './records';
import { arnResource } from '../../messaging/arn';
import { type Budget, epochMs, type InferredSpan, isRecord } from './types';

// An SNS message is at most 256 KiB, an EventBridge event at most 1 MiB (as text, with escapes).
const MAX_ENVELOPE_CHARS = 1024 * 1024 + 64 * 1024;

export interface Envelope {
  kind: 'sns' | 'eventbridge';
  carrier: Carrier | undefined;
  /** The inner envelope's own fields, for naming. */
  fields: Record<string, unknown>;
}

/** The envelope a body holds, if it is one. */
export function readEnvelope(body: string, budget: Budget): Envelope | undefined {
  if (body.length > MAX_ENVELOPE_CHARS || body.charCodeAt(0) !== 123 /* { */) return undefined;
  const sns = body.includes('"TopicArn"') && body.includes('"Type"');
  const eventBridge = !sns && body.includes('"detail-type"') && body.includes('"detail"');
  if (!sns && !eventBridge) return undefined;
  if (budget.parsedBytes + body.length > MAX_PARSED_BYTES) return undefined;
  budget.parsedBytes += body.length;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!isRecord(parsed)) return undefined;
  if (sns) {
    if (parsed.Type !== 'Notification') return undefined;
    const fromAttributes = attributeCarrier(parsed.MessageAttributes, snsAttributeValue);
    if (fromAttributes !== undefined) return { kind: 'sns', carrier: fromAttributes, fields: parsed };
    // EventBridge -> SNS -> SQS: the SNS message is the EventBridge event.
    const message = parsed.Message;
    if (typeof message === 'string') {
      const inner = readEnvelope(message, budget);
      if (inner?.kind === 'eventbridge') return inner;
    }
    return { kind: 'sns', carrier: undefined, fields: parsed };
  }
  if (typeof parsed['detail-type'] !== 'string') return undefined;
  return { kind: 'eventbridge', carrier: eventBridgeCarrier(parsed), fields: parsed };
}

/** The hop an envelope stands for (SNS topic or EventBridge bus), from its own timestamp to `endMs`. */
export function envelopeHop(envelope: Envelope, endMs: number): InferredSpan | undefined {
  const fields = envelope.fields;
  if (envelope.kind === 'sns') {
    const startMs = epochMs(fields.Timestamp);
    const topic = arnResource(fields.TopicArn, ':');
    return startMs === undefined || topic === undefined ? undefined : { operation: 'aws.sns', service: topic, resource: topic, kind: 'consumer', startMs, end: endMs };
  }
  const startMs = epochMs(fields.time);
  const source = typeof fields.source === 'string' && fields.source.length <= 256 ? fields.source : undefined;
  return startMs === undefined || source === undefined ? undefined : { operation: 'aws.eventbridge', service: source, resource: source, kind: 'consumer', startMs, end: endMs };
}
