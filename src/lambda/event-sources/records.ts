/**
 * The loop every record-batch source shares (SQS, SNS, Kinesis): one link per
 * record with a context, bounded in count, in bytes and in records scanned;
 * the context of a single-record event is its upstream candidate.
 */
import type { Context, Link, SpanContext } from '@opentelemetry/api';
import { validSpanContext } from './upstream';
import { type Budget, type ConsumerSpan, type EventTrace, type FaasTrigger, type InferredSpan, isRecord } from './types';

/** Most records looked at in one event (Lambda batches hold at most 10,000). */
export const MAX_RECORDS_SCANNED = 10_000;
/** Bytes of JSON decoded and parsed per event (SNS and EventBridge envelopes, Kinesis data). */
export const MAX_PARSED_BYTES = 4 * 1024 * 1024;
/** Bytes of link data per span: the collector sends links to Datadog as one JSON tag (`_dd.span_links`), whose value Datadog truncates at 25,000 bytes. */
export const MAX_LINK_BYTES = 16 * 1024;

export interface RecordSource {
  trigger: FaasTrigger;
  /** The record's producer context (upstream.ts rules). */
  read(record: Record<string, unknown>, budget: Budget): Context;
  messageId(record: Record<string, unknown>): string | undefined;
  consumer(first: Record<string, unknown>, count: number): ConsumerSpan;
  /** The service's hop for the first record (as Datadog's library draws a batch). */
  inferred?(first: Record<string, unknown>, budget: Budget): InferredSpan | undefined;
}

export function fromRecords(records: unknown[], source: string, reader: RecordSource, budget: Budget): EventTrace {
  const links: Link[] = [];
  let linkBytes = 0;
  let upstream: Context | undefined;
  const scan = Math.min(records.length, MAX_RECORDS_SCANNED);
  // A single record is read even with links off: its context may parent the invocation.
  for (let i = 0; i < scan && (links.length < budget.maxLinks || records.length === 1); i++) {
    const record = records[i];
    if (!isRecord(record) || (record.eventSource ?? record.EventSource) !== source) continue;
    const context = reader.read(record, budget);
    if (records.length === 1) upstream = context;
    const spanContext = validSpanContext(context);
    if (spanContext === undefined) continue;
    const messageId = reader.messageId(record);
    const bytes = linkSize(spanContext, messageId);
    if (links.length >= budget.maxLinks || linkBytes + bytes > MAX_LINK_BYTES) break;
    linkBytes += bytes;
    links.push({ context: spanContext, attributes: messageId === undefined ? {} : { 'messaging.message.id': messageId } });
  }
  const first = records[0] as Record<string, unknown>;
  const trace: EventTrace = { trigger: reader.trigger, upstream, links, consumer: reader.consumer(first, records.length) };
  const inferred = reader.inferred?.(first, budget);
  if (inferred !== undefined) trace.inferred = inferred;
  return trace;
}

function linkSize(spanContext: SpanContext, messageId: string | undefined): number {
  // {"trace_id":"…","span_id":"…","tracestate":"…","attributes":{"messaging.message.id":"…"}} as the exporter writes it
  return 96 + (spanContext.traceState?.serialize().length ?? 0) + (messageId === undefined ? 0 : 24 + messageId.length);
}

/** A bounded message id. */
export function boundedId(id: unknown): string | undefined {
  return typeof id === 'string' && id.length <= 128 ? id : undefined;
}

/** The consumer span as the messaging conventions name it (Datadog names it from `messaging.system`). */
export function consumerSpan(system: string, destination: string | undefined, count: number, messageId: string | undefined): ConsumerSpan {
  const attributes: ConsumerSpan['attributes'] = {
    'messaging.system': system,
    'messaging.operation.type': 'process',
    'messaging.operation.name': 'process',
  };
  if (destination !== undefined) attributes['messaging.destination.name'] = destination;
  if (count > 1) attributes['messaging.batch.message_count'] = count;
  else if (messageId !== undefined) attributes['messaging.message.id'] = messageId;
  return { name: `${destination ?? system} process`, attributes };
}
