/**
 * AWS SDK for JavaScript v3: the official instrumentation makes the span of
 * every call; this adds what messaging across AWS needs and it lacks.
 *
 * - The HTTP request carries OUR span: X-Amzn-Trace-Id (SQS stores it as the
 *   message's AWSTraceHeader) and traceparent, written by a build-step
 *   middleware on each client's stack, before the SDK's recursion-detection
 *   middleware (which only fills a missing X-Amzn-Trace-Id, from the Lambda
 *   segment). The instrumentation suppresses tracing of the SDK's own HTTP
 *   request, so nothing else writes them.
 * - Messages carry our context in as few attributes as possible, never past
 *   SQS/SNS's 10-attribute or size limits; the user's input object is never
 *   modified (the SDK is handed a copy). SQS messages also get the X-Ray
 *   header as their AWSTraceHeader system attribute, which takes no
 *   message-attribute slot. The instrumentation's own injection (every
 *   propagator field as its own attribute, into the user's object) is off.
 * - EventBridge and Kinesis payloads are changed only when the user opts in.
 * - Lambda Invoke: the context in ClientContext.custom, within its size limit.
 * - SNS PublishBatch, EventBridge PutEvents and Kinesis PutRecord(s) are
 *   producer spans with messaging attributes, like SQS and SNS sends.
 */
import { context as contextApi, SpanKind, trace, type Attributes } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AwsInstrumentation as OfficialAwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { log } from './diagnostics';
import { loadInstrumentationPackage } from './instrumentation-package';
import {
  carrierFor,
  currentMessagingSettings,
  DATADOG_KEY,
  datadogCarrier,
  datadogInjectionOn,
  w3cEntries,
  XRAY_KEY,
  type MessagingSettings,
} from './messaging-carriers';

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
export const MAX_MESSAGE_ATTRIBUTES = 10;
const KIB = 1024;
// SQS accepts 1 MiB since 2025, SNS and older SQS set-ups 256 KiB: never cross either.
const SIZE_STEPS = [256 * KIB, 1024 * KIB];
// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: base64 ClientContext up to 3583 bytes.
export const MAX_CLIENT_CONTEXT = 3583;
const MAX_KINESIS_RECORD = 1024 * KIB;
const MAX_EVENTBRIDGE_REQUEST = 256 * KIB;

const MIDDLEWARE_NAME = 'otelXrayDatadogContext';
const HEADERS_MIDDLEWARE_NAME = 'otelXrayDatadogHeaders';

type Input = Record<string, unknown>;
interface HandlerArgs {
  input: Input;
  request?: unknown;
}
type Handler = (args: HandlerArgs) => Promise<unknown>;
interface HandlerContext {
  clientName?: string;
  commandName?: string;
}
type Middleware = (next: Handler, context: HandlerContext) => Handler;
interface MiddlewareStack {
  add(middleware: Middleware, options: { step: string; name: string; priority?: string; override?: boolean; tags?: string[] }): void;
}
interface MessageAttributeValue {
  DataType?: unknown;
  StringValue?: unknown;
  BinaryValue?: unknown;
  StringListValues?: unknown;
  BinaryListValues?: unknown;
}

/** The aws-sdk instrumentation we ship: the official one plus the messaging context above. */
export function createAwsSdkInstrumentation(): Instrumentation {
  const Official = loadInstrumentationPackage('@opentelemetry/instrumentation-aws-sdk').AwsInstrumentation as typeof OfficialAwsInstrumentation;
  if (typeof Official !== 'function') throw new Error('@opentelemetry/instrumentation-aws-sdk has no AwsInstrumentation');
  const stacks = new WeakSet<object>();
  const sends = new WeakMap<object, unknown>();
  const middleware = contextMiddleware();

  class AwsSdkInstrumentation extends Official {
    constructor() {
      super({ suppressInternalInstrumentation: true });
    }

    override _updateMetricInstruments(): void {
      super._updateMetricInstruments();
      takeOverMessaging(this);
    }

    // Every client class the official instrumentation patches (@smithy/core >= 3.24,
    // @smithy/smithy-client, @aws-sdk/smithy-client) comes through here. Our send runs
    // around the official one; it is composed by hand because _wrap would first
    // unwrap the official wrapper (one wrapper per instrumentation and function).
    protected override patchV3SmithyClient(moduleExports: unknown, moduleVersion?: string): unknown {
      const patched = super.patchV3SmithyClient(moduleExports, moduleVersion) as { Client?: { prototype?: Record<string, unknown> } };
      const prototype = patched?.Client?.prototype;
      const inner = prototype?.send;
      if (prototype && typeof inner === 'function' && !sends.has(inner as object)) {
        const send = function (this: { middlewareStack?: MiddlewareStack }, ...args: unknown[]): unknown {
          addMiddleware(this?.middlewareStack, stacks, middleware);
          return (inner as (...a: unknown[]) => unknown).apply(this, args);
        };
        sends.set(send, inner);
        Object.defineProperty(prototype, 'send', { value: send, writable: true, configurable: true, enumerable: false });
      }
      return patched;
    }

    protected override unpatchV3SmithyClient(moduleExports: unknown): unknown {
      const prototype = (moduleExports as { Client?: { prototype?: Record<string, unknown> } } | undefined)?.Client?.prototype;
      const inner = prototype ? sends.get(prototype.send as object) : undefined;
      if (prototype && inner) Object.defineProperty(prototype, 'send', { value: inner, writable: true, configurable: true, enumerable: false });
      return super.unpatchV3SmithyClient(moduleExports);
    }
  }
  return new AwsSdkInstrumentation();
}

function addMiddleware(stack: MiddlewareStack | undefined, seen: WeakSet<object>, middleware: { context: Middleware; headers: Middleware }): void {
  if (stack === undefined || typeof stack !== 'object' || typeof stack.add !== 'function' || seen.has(stack)) return;
  seen.add(stack);
  try {
    stack.add(middleware.context, { step: 'initialize', name: MIDDLEWARE_NAME, priority: 'high', override: true, tags: ['TRACE_CONTEXT_PROPAGATION'] });
    // Before the recursion-detection middleware (build step, low priority), which keeps a header already there.
    stack.add(middleware.headers, { step: 'build', name: HEADERS_MIDDLEWARE_NAME, priority: 'high', override: true, tags: ['TRACE_CONTEXT_PROPAGATION'] });
  } catch (error) {
    log.debug(`AWS SDK client: trace context middleware not added (${String(error)})`);
  }
}

// ---------------------------------------------------------------------------
// The official instrumentation's service extensions (pinned version; checked by tests)
// ---------------------------------------------------------------------------

interface NormalizedRequest {
  serviceName?: string;
  commandName?: string;
  commandInput?: Input;
}
interface RequestMetadata {
  isIncoming: boolean;
  spanAttributes?: Attributes;
  spanKind?: SpanKind;
  spanName?: string;
}
interface ServiceExtension {
  requestPreSpanHook(request: NormalizedRequest, config: unknown, diag: unknown): RequestMetadata;
  requestPostSpanHook?: (request: NormalizedRequest) => void;
  responseHook?: (...args: unknown[]) => unknown;
}

const takenOver = new WeakSet<object>();

function takeOverMessaging(instrumentation: object): void {
  const extensions = (instrumentation as { servicesExtensions?: { services?: unknown } }).servicesExtensions;
  const services = extensions?.services;
  if (extensions === undefined || !(services instanceof Map) || takenOver.has(extensions)) {
    if (!takenOver.has(extensions ?? {})) log.debug('aws-sdk instrumentation: unexpected shape; its own message injection stays on');
    return;
  }
  takenOver.add(extensions);
  const map = services as Map<string, ServiceExtension>;
  // Our middleware writes the context; the instrumentation's injection would write it again.
  for (const name of ['SQS', 'SNS', 'Lambda']) {
    const extension = map.get(name);
    if (extension) extension.requestPostSpanHook = () => {};
  }
  const sns = map.get('SNS');
  map.set('SNS', producerFor(sns, { PublishBatch: (input) => snsDestination(input) }, 'aws.sns'));
  map.set('Kinesis', producerFor(map.get('Kinesis'), { PutRecord: kinesisDestination, PutRecords: kinesisDestination }, 'aws.kinesis'));
  map.set('EventBridge', producerFor(map.get('EventBridge'), { PutEvents: eventBridgeDestination }, 'aws.eventbridge'));
}

/** A service extension whose listed commands are producer spans named `<destination> send`; other commands as `inner` makes them. */
function producerFor(inner: ServiceExtension | undefined, commands: Record<string, (input: Input) => string | undefined>, system: string): ServiceExtension {
  const extension: ServiceExtension = {
    requestPreSpanHook(request, config, diag) {
      const base = inner?.requestPreSpanHook(request, config, diag) ?? { isIncoming: false };
      const destinationOf = request.commandName === undefined ? undefined : commands[request.commandName];
      if (destinationOf === undefined) return base;
      const input = request.commandInput ?? {};
      const destination = destinationOf(input) ?? 'unknown';
      const attributes: Attributes = { ...base.spanAttributes, 'messaging.system': system, 'messaging.destination.name': destination, 'messaging.operation.type': 'send' };
      const count = batchCount(input);
      if (count !== undefined && count > 1) attributes['messaging.batch.message_count'] = count;
      // Named like the instrumentation's own SNS Publish span: the topic name, the ARN as destination.
      const label = destination.startsWith('arn:') ? lastPart(destination, ':') : destination;
      return { ...base, isIncoming: false, spanKind: SpanKind.PRODUCER, spanName: `${label} send`, spanAttributes: attributes };
    },
  };
  if (inner?.requestPostSpanHook) extension.requestPostSpanHook = inner.requestPostSpanHook.bind(inner);
  if (inner?.responseHook) extension.responseHook = inner.responseHook.bind(inner);
  return extension;
}

function batchCount(input: Input): number | undefined {
  for (const key of ['Entries', 'Records', 'PublishBatchRequestEntries']) {
    const list = input[key];
    if (Array.isArray(list)) return list.length;
  }
  return undefined;
}

const lastPart = (arn: string, separator: string): string => arn.slice(arn.lastIndexOf(separator) + 1) || arn;

function snsDestination(input: Input): string | undefined {
  const arn = input.TopicArn ?? input.TargetArn;
  return typeof arn === 'string' ? arn : undefined;
}

function kinesisDestination(input: Input): string | undefined {
  if (typeof input.StreamName === 'string') return input.StreamName;
  return typeof input.StreamARN === 'string' ? lastPart(input.StreamARN, '/') : undefined;
}

function eventBridgeDestination(input: Input): string | undefined {
  const entries = input.Entries;
  const bus = Array.isArray(entries) ? (entries[0] as Input | undefined)?.EventBusName : undefined;
  return typeof bus === 'string' && bus !== '' ? lastPart(bus, '/') : 'default';
}

// ---------------------------------------------------------------------------
// The middleware
// ---------------------------------------------------------------------------

function contextMiddleware(): { context: Middleware; headers: Middleware } {
  const contextStep: Middleware = (next, handlerContext) => (args) => {
    let replaced: Input | undefined;
    try {
      const carrier = carrierFor(trace.getSpan(contextApi.active()));
      if (carrier !== undefined) replaced = withContext(clientService(handlerContext), commandOf(handlerContext), args.input, carrier, currentMessagingSettings());
    } catch (error) {
      log.debug(`AWS SDK call: trace context not added to the message (${String(error)})`);
    }
    return next(replaced === undefined ? args : { ...args, input: replaced });
  };
  const headersStep: Middleware = (next) => (args) => {
    try {
      const headers = (args.request as { headers?: unknown } | undefined)?.headers;
      if (typeof headers === 'object' && headers !== null) {
        const carrier = carrierFor(trace.getSpan(contextApi.active()));
        if (carrier !== undefined) writeHeaders(headers as Record<string, string>, carrier);
      }
    } catch (error) {
      log.debug(`AWS SDK call: trace headers not added (${String(error)})`);
    }
    return next(args);
  };
  return { context: contextStep, headers: headersStep };
}

/** Our span's headers on the request, replacing any of the same name in another case. */
function writeHeaders(headers: Record<string, string>, carrier: Record<string, string>): void {
  for (const name of Object.keys(headers)) if (carrier[name.toLowerCase()] !== undefined) delete headers[name];
  for (const [key, value] of Object.entries(carrier)) headers[key === XRAY_KEY ? 'X-Amzn-Trace-Id' : key] = value;
}

const clientService = (handlerContext: HandlerContext): string => (handlerContext.clientName ?? '').replace(/Client$/, '');
const commandOf = (handlerContext: HandlerContext): string => (handlerContext.commandName ?? '').replace(/Command$/, '');

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

/** How many more bytes a message of `size` may grow without crossing the next size limit. */
function sizeSteps(size: number, steps: readonly number[] = SIZE_STEPS): number {
  for (const step of steps) if (size <= step) return step - size;
  return 0;
}

/** Applies `one` to each entry of a batch request, within the batch's own size limit. */
function batch(input: Input, key: string, one: (entry: Input, room: number) => Input | undefined, sizeOf: (entry: Input) => number, steps: readonly number[] = SIZE_STEPS): Input | undefined {
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

const byteLength = (value: unknown): number => {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.byteLength;
  return 0;
};

function attributesSize(attributes: unknown): number {
  if (typeof attributes !== 'object' || attributes === null) return 0;
  let size = 0;
  for (const [name, raw] of Object.entries(attributes as Record<string, unknown>)) {
    const value = (raw ?? {}) as MessageAttributeValue;
    size += Buffer.byteLength(name) + byteLength(value.DataType) + byteLength(value.StringValue) + byteLength(value.BinaryValue);
    for (const list of [value.StringListValues, value.BinaryListValues]) if (Array.isArray(list)) for (const item of list) size += byteLength(item);
  }
  return size;
}

const sqsMessageSize = (input: Input): number => byteLength(input.MessageBody) + attributesSize(input.MessageAttributes) + attributesSize(input.MessageSystemAttributes);
const snsMessageSize = (input: Input): number => byteLength(input.Message) + byteLength(input.Subject) + attributesSize(input.MessageAttributes);

/** SQS: AWSTraceHeader (no attribute slot), then our attributes, each only if it fits. */
function sqsEntry(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
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

/** SNS: our attributes only; dd-trace writes `_datadog` to SNS as Binary. */
function snsEntry(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
  const attributes = messageAttributesWithContext(input.MessageAttributes, carrier, 'Binary', room);
  return attributes === undefined ? undefined : { ...input, MessageAttributes: attributes };
}

/**
 * The message attributes with our context added, or undefined when there is
 * no room. With Datadog injection on: one `_datadog` attribute. Otherwise
 * traceparent, tracestate and baggage, or traceparent alone when only one
 * slot is left.
 */
export function messageAttributesWithContext(existing: unknown, carrier: Record<string, string>, datadogType: 'String' | 'Binary', room = Number.POSITIVE_INFINITY): Record<string, unknown> | undefined {
  if (existing !== undefined && existing !== null && typeof existing !== 'object') return undefined;
  const current = (existing ?? {}) as Record<string, unknown>;
  const ours = new Set([DATADOG_KEY, 'traceparent', 'tracestate', 'baggage']);
  const kept = Object.keys(current).filter((name) => !ours.has(name));
  const slots = MAX_MESSAGE_ATTRIBUTES - kept.length;
  if (slots <= 0) return undefined;

  let added: Record<string, unknown>;
  if (datadogInjectionOn(carrier)) {
    const json = JSON.stringify(datadogCarrier(carrier));
    added = { [DATADOG_KEY]: datadogType === 'Binary' ? { DataType: 'Binary', BinaryValue: Buffer.from(json) } : { DataType: 'String', StringValue: json } };
  } else {
    const entries = w3cEntries(carrier);
    if (entries.length === 0 || entries[0]?.[0] !== 'traceparent') return undefined;
    added = Object.fromEntries(entries.slice(0, slots).map(([key, value]) => [key, { DataType: 'String', StringValue: value }]));
  }
  // Replacing a stale attribute of ours frees its bytes.
  const replacedSize = attributesSize(Object.fromEntries(Object.keys(added).filter((k) => k in current).map((k) => [k, current[k]])));
  if (attributesSize(added) - replacedSize > room) return undefined;
  const out: Record<string, unknown> = {};
  for (const name of kept) out[name] = current[name];
  return { ...out, ...added };
}

function eventBridgeEntries(input: Input, carrier: Record<string, string>, injectDetail: boolean): Input | undefined {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 100) return undefined;
  const xray = carrier[XRAY_KEY];
  const ddJson = injectDetail ? JSON.stringify(datadogCarrier(carrier)) : undefined;
  let total = 0;
  for (const entry of entries) total += eventBridgeEntrySize(entry);
  let changed = false;
  const out = entries.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null) return raw;
    let entry = raw as Input;
    // The entry's X-Ray header: read by EventBridge, not part of the event.
    if (xray !== undefined && entry.TraceHeader === undefined) {
      entry = { ...entry, TraceHeader: xray };
      changed = true;
    }
    if (ddJson !== undefined && typeof entry.Detail === 'string') {
      const detail = withJsonKey(entry.Detail, DATADOG_KEY, ddJson);
      const grows = detail === undefined ? 0 : Buffer.byteLength(detail) - Buffer.byteLength(entry.Detail);
      if (detail !== undefined && total + grows <= MAX_EVENTBRIDGE_REQUEST) {
        total += grows;
        entry = { ...entry, Detail: detail };
        changed = true;
      }
    }
    return entry;
  });
  return changed ? { ...input, Entries: out } : undefined;
}

function eventBridgeEntrySize(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null) return 0;
  const entry = raw as Input;
  let size = 14 + byteLength(entry.Source) + byteLength(entry.DetailType) + byteLength(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const r of entry.Resources) size += byteLength(r);
  return size;
}

const kinesisRecordSize = (input: Input): number => byteLength(input.Data) + byteLength(input.PartitionKey);

function kinesisRecord(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
  const data = input.Data;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) {
    if (data.byteLength > MAX_KINESIS_RECORD) return undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      return undefined; // not text: a binary record is never touched
    }
  } else return undefined;
  const json = withJsonKey(text, DATADOG_KEY, JSON.stringify(datadogCarrier(carrier)));
  if (json === undefined) return undefined;
  const bytes = Buffer.from(json);
  if (bytes.byteLength - byteLength(data) > Math.min(room, MAX_KINESIS_RECORD - kinesisRecordSize(input))) return undefined;
  return { ...input, Data: typeof data === 'string' ? json : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

/**
 * `text` with `"key":<valueJson>` added as the first member, when text is a
 * JSON object without that key; undefined otherwise. The user's text is kept
 * as it is (re-serializing would change number formatting and precision).
 */
export function withJsonKey(text: string, key: string, valueJson: string): string | undefined {
  const open = text.search(/\S/);
  if (open === -1 || text.charCodeAt(open) !== 123 /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.prototype.hasOwnProperty.call(parsed, key)) return undefined;
  const member = `${JSON.stringify(key)}:${valueJson}`;
  const empty = Object.keys(parsed).length === 0;
  return `${text.slice(0, open + 1)}${member}${empty ? '' : ','}${text.slice(open + 1)}`;
}

function lambdaInvoke(input: Input, carrier: Record<string, string>): Input | undefined {
  const existing = input.ClientContext;
  let clientContext: Record<string, unknown> = {};
  if (existing !== undefined) {
    if (typeof existing !== 'string' || existing.length > MAX_CLIENT_CONTEXT) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(existing, 'base64').toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      clientContext = parsed as Record<string, unknown>;
    } catch {
      return undefined; // not ours to repair
    }
  }
  const custom = clientContext.custom;
  if (custom !== undefined && (typeof custom !== 'object' || custom === null || Array.isArray(custom))) return undefined;
  // Everything the propagators write; if that is too long, traceparent (or the X-Ray header) alone.
  const minimal: Record<string, string> = {};
  const first = carrier.traceparent !== undefined ? 'traceparent' : XRAY_KEY;
  if (carrier[first] !== undefined) minimal[first] = carrier[first];
  for (const candidate of [carrier, minimal]) {
    if (Object.keys(candidate).length === 0) continue;
    const encoded = Buffer.from(JSON.stringify({ ...clientContext, custom: { ...(custom as object | undefined), ...candidate } })).toString('base64');
    if (encoded.length <= MAX_CLIENT_CONTEXT) return { ...input, ClientContext: encoded };
  }
  return undefined;
}
