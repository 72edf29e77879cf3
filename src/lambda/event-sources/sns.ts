/**
 * SNS records: the context is in the message attributes (`_datadog` as
 * String or Binary, or single attributes), or, for an EventBridge rule with
 * an SNS target, in the EventBridge event that is the message.
 */
import { arnResource } from '../../messaging/arn';
import { attributeCarrier, snsAttributeValue } from './attributes';
import { readEnvelope } from './envelopes';
import { boundedId, consumerSpan, type RecordSource } from './records';
import { upstreamContext, validSpanContext } from './upstream';
import { epochMs, isRecord } from './types';

export const snsSource: RecordSource = {
  trigger: 'pubsub',
  read(record, budget) {
    const sns = isRecord(record.Sns) ? record.Sns : {};
    const fromAttributes = upstreamContext(attributeCarrier(sns.MessageAttributes, snsAttributeValue));
    if (validSpanContext(fromAttributes) !== undefined || typeof sns.Message !== 'string') return fromAttributes;
    const envelope = readEnvelope(sns.Message, budget);
    return envelope?.kind === 'eventbridge' ? upstreamContext(envelope.carrier) : fromAttributes;
  },
  messageId: (record) => (isRecord(record.Sns) ? boundedId(record.Sns.MessageId) : undefined),
  consumer(first, count) {
    const sns = isRecord(first.Sns) ? first.Sns : {};
    return consumerSpan('aws.sns', arnResource(sns.TopicArn, ':'), count, boundedId(sns.MessageId));
  },
  inferred(first) {
    const sns = isRecord(first.Sns) ? first.Sns : {};
    const startMs = epochMs(sns.Timestamp);
    const topic = arnResource(sns.TopicArn, ':');
    return startMs === undefined || topic === undefined ? undefined : { operation: 'aws.sns', service: topic, resource: topic, kind: 'consumer', startMs, end: 'arrival' };
  },
};
