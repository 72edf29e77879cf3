/** SQS SendMessage / SendMessageBatch entries with our context. */
import { XRAY_KEY } from '../carriers';
import { messageAttributesWithContext } from './message-attributes';
import { attributesSize, byteLength } from './sizes';
import type { Input } from './types';

export const sqsMessageSize = (input: Input): number => byteLength(input.MessageBody) + attributesSize(input.MessageAttributes) + attributesSize(input.MessageSystemAttributes);

/** SQS: AWSTraceHeader (no attribute slot), then our attributes, each only if it fits. */
export function sqsEntry(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
  let out: Input | undefined;
  let left = room;
  const xray = carrier[XRAY_KEY];
  const system = input.MessageSystemAttributes;
  const hasTraceHeader = typeof system === 'object' && system !== null && 'AWSTraceHeader' in system;
  if (xray !== undefined && !hasTraceHeader) {
    const added = { AWSTraceHeader: { DataType: 'String', StringValue: xray } };
    const cost = attributesSize(added);
    if (cost <= left) {
      out = { ...input, MessageSystemAttributes: { ...(system as object | undefined), ...added } };
      left -= cost;
    }
  }
  const attributes = messageAttributesWithContext(input.MessageAttributes, carrier, 'String', left);
  if (attributes !== undefined) out = { ...(out ?? input), MessageAttributes: attributes };
  return out;
}
