/**
 * What our context changes in a request's input, per service and command:
 * messages carry it in as few attributes as possible, never past SQS/SNS's
 * 10-attribute or size limits; the user's input object is never modified (a
 * copy is returned); EventBridge and Kinesis payloads change only when the
 * user opts in.
 */
import type { MessagingSettings } from '../../config/resolved-config';
import { eventBridgeEntries } from './eventbridge';
import { kinesisRecord, kinesisRecordSize, MAX_KINESIS_RECORD } from './kinesis';
import { lambdaInvoke } from './lambda-invoke';
import { KIB, SIZE_STEPS, sizeSteps } from './sizes';
import { snsEntry, snsMessageSize } from './sns';
import { sqsEntry, sqsMessageSize } from './sqs';
import type { Input } from './types';

/** The input to send instead of `input`, or undefined to send it unchanged. Exported for tests. */
export function withContext(service: string, command: string, input: Input, carrier: Record<string, string>, settings: MessagingSettings): Input | undefined {
  if (typeof input !== 'object' || input === null) return undefined;
  switch (`${service}.${command}`) {
    case 'SQS.SendMessage':
      return sqsEntry(input, carrier, sizeSteps(sqsMessageSize(input)));
    case 'SQS.SendMessageBatch':
      return batch(input, 'Entries', (entry, room) => sqsEntry(entry, carrier, room), sqsMessageSize);
    case 'SNS.Publish':
      if (typeof input.PhoneNumber === 'string') return undefined; // SMS: attributes are delivery settings there
      return snsEntry(input, carrier, sizeSteps(snsMessageSize(input), [256 * KIB]));
    case 'SNS.PublishBatch':
      return batch(input, 'PublishBatchRequestEntries', (entry, room) => snsEntry(entry, carrier, room), snsMessageSize, [256 * KIB]);
    case 'EventBridge.PutEvents':
      return eventBridgeEntries(input, carrier, settings.eventBridgeInject);
    case 'Kinesis.PutRecord':
      return settings.kinesisInject ? kinesisRecord(input, carrier, MAX_KINESIS_RECORD) : undefined;
    case 'Kinesis.PutRecords':
      return settings.kinesisInject ? batch(input, 'Records', (record, room) => kinesisRecord(record, carrier, room), kinesisRecordSize, [5 * 1024 * KIB]) : undefined;
    case 'Lambda.Invoke':
    case 'Lambda.InvokeWithResponseStream':
      return lambdaInvoke(input, carrier);
    default:
      return undefined;
  }
}

/** Applies `one` to each entry of a batch request, within the batch's own size limit. */
function batch(
  input: Input,
  key: string,
  one: (entry: Input, room: number) => Input | undefined,
  sizeOf: (entry: Input) => number,
  steps: readonly number[] = SIZE_STEPS,
): Input | undefined {
  const entries = input[key];
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 500) return undefined;
  let total = 0;
  for (const entry of entries) total += typeof entry === 'object' && entry !== null ? sizeOf(entry as Input) : 0;
  let room = sizeSteps(total, steps);
  let changed = false;
  const out = entries.map((entry: unknown) => {
    if (typeof entry !== 'object' || entry === null) return entry;
    const before = sizeOf(entry as Input);
    // Each entry also stays within the single-message limit.
    const replaced = one(entry as Input, Math.min(room, sizeSteps(before, steps)));
    if (replaced === undefined) return entry;
    room -= sizeOf(replaced) - before;
    changed = true;
    return replaced;
  });
  return changed ? { ...input, [key]: out } : undefined;
}
