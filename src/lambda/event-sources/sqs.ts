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
import { readEnvelope } from './envelopes';
import { boundedId, consumerSpan, type RecordSource } from './records';
import { upstreamContext, validSpanContext } from './upstream';
import { isRecord } from './types';

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
};
