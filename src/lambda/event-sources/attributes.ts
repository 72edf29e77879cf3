/**
 * Message attributes as SQS and SNS deliver them, reduced to a flat carrier
 * of the keys a trace context travels under: `_datadog` (dd-trace's JSON, as
 * String or Binary) unpacked, and single attributes (traceparent,
 * x-datadog-*, x-amzn-trace-id...) written over it. Bounded in keys and bytes.
 */
import { DATADOG_KEY, MAX_CARRIER_BYTES, MAX_KEY_LENGTH, parseDatadogJson } from '../../messaging/carriers';
import type { Carrier } from './upstream';
import { isRecord, stringOf } from './types';

const MAX_ATTRIBUTES_READ = 20;
// Keys a message attribute may carry a context under (lower-case).
const CONTEXT_ATTRIBUTE = /^(x-amzn-trace-id|traceparent|tracestate|baggage|x-datadog-[a-z-]+)$/;

export type AttributeValue = { text?: string; base64?: string };

/** An SQS event's message attribute: { stringValue | binaryValue (base64), dataType }. */
export function sqsAttributeValue(value: Record<string, unknown>): AttributeValue {
  return { text: stringOf(value.stringValue ?? value.StringValue), base64: stringOf(value.binaryValue ?? value.BinaryValue) };
}

/** An SNS message attribute: { Type: 'String' | 'Binary' | …, Value }. */
export function snsAttributeValue(value: Record<string, unknown>): AttributeValue {
  const content = stringOf(value.Value);
  return value.Type === 'Binary' ? { base64: content } : { text: content };
}

export function attributeCarrier(attributes: unknown, valueOf: (value: Record<string, unknown>) => AttributeValue): Carrier | undefined {
  if (!isRecord(attributes)) return undefined;
  let carrier: Carrier | undefined;
  let direct: Carrier | undefined;
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
