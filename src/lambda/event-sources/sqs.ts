/**
 * SQS records. Where a record's producer context can be, most trusted first:
 *   messageAttributes  our producer's and dd-trace's (`_datadog`), also SNS
 *                      attributes with raw delivery;
 *   the body           an SNS notification or an EventBridge event, whose
 *                      attributes or `detail` carry the context (SNS->SQS,
 *                      EventBridge->SQS, EventBridge->SNS->SQS);
 *   AWSTraceHeader     the X-Ray header of the SendMessage request, used only
 *                      when the message carries nothing else and X-Ray sampled it.
 */
import { arnResource } from '../../messaging/arn';
import { attributeCarrier, sqsAttributeValue } from './attributes';
import { envelopeHop, readEnvelope } from './envelopes';
import { boundedId, consumerSpan, type RecordSource } from './records';
import { upstreamContext, validSpanContext } from './upstream';
import { epochMs, type InferredSpan, isRecord } from './types';

export const sqsSource: RecordSource = {
  trigger: 'pubsub',
  read(record, budget) {
    const fromAttributes = upstreamContext(attributeCarrier(record.messageAttributes, sqsAttributeValue));
    if (validSpanContext(fromAttributes) !== undefined) return fromAttributes;
    const envelope = typeof record.body === 'string' ? readEnvelope(record.body, budget) : undefined;
    const attributes = record.attributes;
    const traceHeader = isRecord(attributes) && typeof attributes.AWSTraceHeader === 'string' ? attributes.AWSTraceHeader : undefined;
    return upstreamContext(envelope?.carrier, traceHeader);
  },
  messageId: (record) => boundedId(record.messageId),
  consumer: (first, count) => consumerSpan('aws_sqs', arnResource(first.eventSourceARN, ':'), count, boundedId(first.messageId)),
  inferred(first, budget) {
    const attributes = isRecord(first.attributes) ? first.attributes : {};
    const startMs = epochMs(attributes.SentTimestamp);
    const queue = arnResource(first.eventSourceARN, ':');
    if (startMs === undefined || queue === undefined) return undefined;
    const span: InferredSpan = { operation: 'aws.sqs', service: queue, resource: queue, kind: 'consumer', startMs, end: 'arrival' };
    // SNS -> SQS, EventBridge -> SQS: the topic or bus in front of the queue.
    const envelope = typeof first.body === 'string' ? readEnvelope(first.body, budget) : undefined;
    const hop = envelope === undefined ? undefined : envelopeHop(envelope, startMs);
    if (hop !== undefined && hop.startMs <= startMs) span.upstream = hop;
    return span;
  },
};
