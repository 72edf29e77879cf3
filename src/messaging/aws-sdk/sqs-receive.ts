/**
 * A host that reads SQS with ReceiveMessage: the official instrumentation's
 * receive span links the messages whose attributes carry the global
 * propagator's fields. This reads every context a message can carry, as the
 * Lambda consumer does (lambda/event-sources/sqs.ts): `_datadog` (String or
 * Binary), W3C and Datadog attributes, the SNS or EventBridge envelope in the
 * body, and AWSTraceHeader when X-Ray sampled it; one link per message with
 * a context, at most OTEL_XRAY_DD_LAMBDA_MAX_LINKS.
 */
import type { Span } from '@opentelemetry/api';
import { MAX_PARSED_BYTES } from '../../lambda/event-sources/records';
import { sqsSource } from '../../lambda/event-sources/sqs';
import { validSpanContext } from '../../lambda/event-sources/upstream';
import { DATADOG_KEY } from '../carriers';

type Input = Record<string, unknown>;

/** The request asks for what the contexts travel in: the `_datadog` attribute and the AWSTraceHeader system attribute. */
export function askForContexts(input: Input): void {
  const names = input.MessageAttributeNames;
  if (Array.isArray(names) && !names.includes('All') && !names.includes('.*') && !names.includes(DATADOG_KEY)) input.MessageAttributeNames = [...names, DATADOG_KEY];
  const system = input.MessageSystemAttributeNames;
  const legacy = input.AttributeNames;
  const asked = [...(Array.isArray(system) ? system : []), ...(Array.isArray(legacy) ? legacy : [])];
  if (!asked.includes('All') && !asked.includes('AWSTraceHeader')) input.MessageSystemAttributeNames = [...(Array.isArray(system) ? system : []), 'AWSTraceHeader'];
}

/** One link per received message with a context. */
export function linkReceivedMessages(span: Span, messages: unknown, maxLinks: number): void {
  if (!Array.isArray(messages)) return;
  const budget = { parsedBytes: 0, maxLinks };
  let linked = 0;
  for (const message of messages) {
    if (linked >= maxLinks || budget.parsedBytes > MAX_PARSED_BYTES) break;
    if (typeof message !== 'object' || message === null) continue;
    const context = validSpanContext(sqsSource.read(asEventRecord(message as Input), budget));
    if (context === undefined) continue;
    const id = (message as Input).MessageId;
    span.addLink({ context, attributes: typeof id === 'string' ? { 'messaging.message.id': id } : {} });
    linked++;
  }
}

/** The SDK's message in the shape Lambda delivers a record (binary values as base64, as in events). */
function asEventRecord(message: Input): Input {
  const attributes: Record<string, unknown> = {};
  const raw = message.MessageAttributes;
  if (typeof raw === 'object' && raw !== null) {
    for (const [name, value] of Object.entries(raw as Record<string, Input>)) {
      const binary = value?.BinaryValue;
      attributes[name] = { stringValue: value?.StringValue, binaryValue: binary instanceof Uint8Array ? Buffer.from(binary).toString('base64') : binary };
    }
  }
  return { messageAttributes: attributes, attributes: message.Attributes, body: message.Body };
}
