/**
 * SQS and SNS message attributes with our context added, never past the
 * 10-attribute limit or the message's size limit.
 */
import { DATADOG_KEY, datadogCarrier, datadogInjectionOn, w3cEntries } from '../carriers';
import { attributesSize } from './sizes';

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
export const MAX_MESSAGE_ATTRIBUTES = 10;

/**
 * The message attributes with our context added, or undefined when there is
 * no room. With Datadog injection on: one `_datadog` attribute. Otherwise
 * traceparent, tracestate and baggage, or traceparent alone when only one
 * slot is left.
 */
export function messageAttributesWithContext(
  existing: unknown,
  carrier: Record<string, string>,
  datadogType: 'String' | 'Binary',
  room = Number.POSITIVE_INFINITY,
): Record<string, unknown> | undefined {
  if (existing !== undefined && existing !== null && typeof existing !== 'object') return undefined;
  const current = (existing ?? {}) as Record<string, unknown>;
  const ours = new Set([DATADOG_KEY, 'traceparent', 'tracestate', 'baggage']);
  const kept = Object.keys(current).filter((name) => !ours.has(name));
  const slots = MAX_MESSAGE_ATTRIBUTES - kept.length;
  if (slots <= 0) return undefined;

  let added: Record<string, unknown>;
  if (datadogInjectionOn(carrier)) {
    const json = JSON.stringify(datadogCarrier(carrier));
    added = { [DATADOG_KEY]: datadogType === 'Binary' ? { DataType: 'Binary', BinaryValue: Buffer.from(json) } : { DataType: 'String', StringValue: json } };
  } else {
    const entries = w3cEntries(carrier);
    if (entries.length === 0 || entries[0]?.[0] !== 'traceparent') return undefined;
    added = Object.fromEntries(entries.slice(0, slots).map(([key, value]) => [key, { DataType: 'String', StringValue: value }]));
  }
  // Replacing a stale attribute of ours frees its bytes.
  const replacedSize = attributesSize(
    Object.fromEntries(
      Object.keys(added)
        .filter((k) => k in current)
        .map((k) => [k, current[k]]),
    ),
  );
  if (attributesSize(added) - replacedSize > room) return undefined;
  const out: Record<string, unknown> = {};
  for (const name of kept) out[name] = current[name];
  return { ...out, ...added };
}
