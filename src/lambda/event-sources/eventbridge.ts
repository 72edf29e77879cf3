/**
 * EventBridge events: the producer's context is in `detail._datadog` (what
 * dd-trace and our producer write) or `detail.traceparent`/`tracestate`.
 * Scheduled events are timers.
 */
import { carrierFromObject, DATADOG_KEY, MAX_CARRIER_BYTES } from '../../messaging/carriers';
import { boundedId, consumerSpan } from './records';
import { type Carrier, upstreamContext, validSpanContext } from './upstream';
import { type Budget, epochMs, type EventTrace, isRecord } from './types';

export function isEventBridgeEvent(event: Record<string, unknown>): boolean {
  return typeof event['detail-type'] === 'string' && typeof event.source === 'string' && 'detail' in event;
}

export function eventBridgeCarrier(event: Record<string, unknown>): Carrier | undefined {
  const detail = event.detail;
  if (!isRecord(detail)) return undefined;
  const carrier = carrierFromObject(detail[DATADOG_KEY]);
  for (const key of ['traceparent', 'tracestate']) {
    const value = detail[key];
    if (typeof value === 'string' && value.length <= MAX_CARRIER_BYTES) carrier[key] = value;
  }
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

export function fromEventBridge(event: Record<string, unknown>, budget: Budget): EventTrace {
  const upstream = upstreamContext(eventBridgeCarrier(event));
  const spanContext = validSpanContext(upstream);
  const id = boundedId(event.id);
  const scheduled = event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event';
  const trace: EventTrace = {
    trigger: scheduled ? 'timer' : 'pubsub',
    upstream,
    links: spanContext !== undefined && budget.maxLinks > 0 ? [{ context: spanContext, attributes: id === undefined ? {} : { 'messaging.message.id': id } }] : [],
    consumer: consumerSpan('aws.eventbridge', eventBridgeSource(event), 1, id),
  };
  const startMs = epochMs(event.time);
  const source = eventBridgeSource(event);
  if (startMs !== undefined && source !== undefined && !scheduled)
    trace.inferred = { operation: 'aws.eventbridge', service: source, resource: source, kind: 'consumer', startMs, end: 'arrival' };
  return trace;
}

/** The event's `source`, the name Datadog shows for the bus hop. */
export function eventBridgeSource(event: Record<string, unknown>): string | undefined {
  return typeof event.source === 'string' && event.source.length <= 256 ? event.source : undefined;
}
