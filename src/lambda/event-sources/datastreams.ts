/**
 * DynamoDB streams and S3 notifications: no producer context to read, but
 * the record says when the change happened, so the wait is drawn.
 */
import { arnResource } from '../../messaging/arn';
import { epochMs, type EventTrace, isRecord } from './types';

export function fromDynamoDbStream(first: Record<string, unknown>): EventTrace {
  const dynamodb = isRecord(first.dynamodb) ? first.dynamodb : {};
  const startMs = epochMs(dynamodb.ApproximateCreationDateTime, 's');
  // arn:aws:dynamodb:region:account:table/<name>/stream/<label>
  const table = typeof first.eventSourceARN === 'string' ? /:table\/([^/]+)/.exec(first.eventSourceARN)?.[1] : undefined;
  const trace: EventTrace = { trigger: 'datasource', links: [] };
  if (startMs !== undefined && table !== undefined) trace.inferred = { operation: 'aws.dynamodb', service: table, resource: table, kind: 'consumer', startMs, end: 'arrival' };
  return trace;
}

export function fromS3Notification(first: Record<string, unknown>): EventTrace {
  const startMs = epochMs(first.eventTime);
  const s3 = isRecord(first.s3) ? first.s3 : {};
  const bucket = isRecord(s3.bucket) && typeof s3.bucket.name === 'string' ? s3.bucket.name : arnResource(isRecord(s3.bucket) ? s3.bucket.arn : undefined, ':');
  const trace: EventTrace = { trigger: 'datasource', links: [] };
  if (startMs !== undefined && bucket !== undefined) trace.inferred = { operation: 'aws.s3', service: bucket, resource: bucket, kind: 'consumer', startMs, end: 'arrival' };
  return trace;
}
