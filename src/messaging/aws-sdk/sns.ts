/** SNS Publish / PublishBatch entries with our context. */
import { messageAttributesWithContext } from './message-attributes';
import { attributesSize, byteLength } from './sizes';
import type { Input } from './types';

export const snsMessageSize = (input: Input): number => byteLength(input.Message) + byteLength(input.Subject) + attributesSize(input.MessageAttributes);

/** SNS: our attributes only; dd-trace writes `_datadog` to SNS as Binary. */
export function snsEntry(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
  const attributes = messageAttributesWithContext(input.MessageAttributes, carrier, 'Binary', room);
  return attributes === undefined ? undefined : { ...input, MessageAttributes: attributes };
}
