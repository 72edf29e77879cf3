/**
 * Kinesis records: `_datadog` inside the record's data when it is a JSON
 * object (what dd-trace writes, and our producer with
 * OTEL_XRAY_DD_KINESIS_INJECT). Records that cannot be JSON are not decoded.
 */
import { carrierFromObject, DATADOG_KEY } from '../../messaging/carriers';
import { arnResource } from '../../messaging/arn';
import { boundedId, consumerSpan, MAX_PARSED_BYTES, type RecordSource } from './records';
import { upstreamContext } from './upstream';
import { epochMs, isRecord } from './types';

// A Kinesis record holds at most 1 MiB, base64-encoded in the event.
const MAX_KINESIS_BASE64 = Math.ceil((1024 * 1024 * 4) / 3) + 4;
// Base64 of text starting with '{' starts with 'e' then one of w-z, 0-9, +, / (or I, C, D for leading whitespace).
const JSON_OBJECT_BASE64 = /^(e[w-z0-9+/]|[ICD])/;

export const kinesisSource: RecordSource = {
  trigger: 'datasource',
  read(record, budget) {
    const kinesis = record.kinesis;
    const data = isRecord(kinesis) ? kinesis.data : undefined;
    if (typeof data !== 'string' || data.length > MAX_KINESIS_BASE64 || !JSON_OBJECT_BASE64.test(data)) return upstreamContext(undefined);
    if (budget.parsedBytes + data.length > MAX_PARSED_BYTES) return upstreamContext(undefined);
    budget.parsedBytes += data.length;
    const text = Buffer.from(data, 'base64').toString('utf8');
    if (!text.includes(`"${DATADOG_KEY}"`)) return upstreamContext(undefined);
    try {
      const parsed = JSON.parse(text) as unknown;
      return upstreamContext(isRecord(parsed) ? carrierFromObject(parsed[DATADOG_KEY]) : undefined);
    } catch {
      return upstreamContext(undefined);
    }
  },
  messageId: (record) => (isRecord(record.kinesis) ? boundedId(record.kinesis.sequenceNumber) : undefined),
  consumer: (first, count) =>
    consumerSpan('aws.kinesis', arnResource(first.eventSourceARN, '/'), count, isRecord(first.kinesis) ? boundedId(first.kinesis.sequenceNumber) : undefined),
  inferred(first) {
    const startMs = epochMs(isRecord(first.kinesis) ? first.kinesis.approximateArrivalTimestamp : undefined, 's');
    const stream = arnResource(first.eventSourceARN, '/');
    return startMs === undefined || stream === undefined ? undefined : { operation: 'aws.kinesis', service: stream, resource: stream, kind: 'consumer', startMs, end: 'arrival' };
  },
};
