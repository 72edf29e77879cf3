/**
 * Where a Lambda event came from, one file per kind of source (as Datadog's
 * Lambda library splits its extractors): the trigger, the producer's context,
 * links for batches and the consumer span. Unknown shapes give `other` and no
 * context; a malformed event costs the trace, never the invocation.
 *
 * The one rule for conflicting contexts (upstream.ts): a Datadog or W3C
 * context wins over an X-Ray header, and an unsampled X-Ray header is never a
 * parent. Per message, the context the message carries itself wins over
 * SQS's AWSTraceHeader; the event's own context wins over the invoke's
 * client context.
 */
import { type EventTrace, isRecord } from './types';
import { fromDynamoDbStream, fromS3Notification } from './datastreams';
import { fromEventBridge, isEventBridgeEvent } from './eventbridge';
import { fromHttpEvent, isHttpEvent } from './http';
import { clientContextUpstream } from './invoke';
import { kinesisSource } from './kinesis';
import { fromRecords, type RecordSource } from './records';
import { snsSource } from './sns';
import { sqsSource } from './sqs';
import { fromStepFunctions, isStepFunctionsEvent } from './step-functions';
import { validSpanContext } from './upstream';

export type { EventTrace, FaasTrigger, ConsumerSpan, InferredSpan } from './types';
export { MAX_LINK_BYTES, MAX_PARSED_BYTES, MAX_RECORDS_SCANNED } from './records';

const RECORD_SOURCES: Record<string, RecordSource> = { 'aws:sqs': sqsSource, 'aws:sns': snsSource, 'aws:kinesis': kinesisSource };

export function readEventTrace(event: unknown, clientContext: unknown, maxLinks: number): EventTrace {
  let result: EventTrace = { trigger: 'other', links: [] };
  try {
    result = fromEvent(event, maxLinks) ?? result;
  } catch {
    // Keep what is known: nothing.
  }
  if (validSpanContext(result.upstream) !== undefined) return result;
  try {
    const fromCaller = clientContextUpstream(clientContext);
    const caller = validSpanContext(fromCaller);
    if (caller !== undefined) return { ...result, upstream: fromCaller, links: result.links.length === 0 && maxLinks > 0 ? [{ context: caller }] : result.links };
  } catch {
    // A client context that cannot be read is no context.
  }
  return result;
}

function fromEvent(event: unknown, maxLinks: number): EventTrace | undefined {
  if (!isRecord(event)) return undefined;
  const budget = { parsedBytes: 0, maxLinks };
  const records = event.Records;
  if (Array.isArray(records) && records.length > 0 && isRecord(records[0])) {
    const source = records[0].eventSource ?? records[0].EventSource;
    if (typeof source !== 'string') return undefined;
    const reader = RECORD_SOURCES[source];
    if (reader !== undefined) return fromRecords(records, source, reader, budget);
    if (source === 'aws:dynamodb') return fromDynamoDbStream(records[0]);
    if (source === 'aws:s3') return fromS3Notification(records[0]);
    return undefined;
  }
  if (isHttpEvent(event)) return fromHttpEvent(event);
  if (isEventBridgeEvent(event)) return fromEventBridge(event, budget);
  if (isStepFunctionsEvent(event)) return fromStepFunctions(event);
  return undefined;
}
