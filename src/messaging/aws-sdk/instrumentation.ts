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
 * - Messages carry our context (message-context.ts and one file per service):
 *   SQS messages also get the X-Ray header as their AWSTraceHeader system
 *   attribute, which takes no message-attribute slot. The instrumentation's
 *   own injection (every propagator field as its own attribute, into the
 *   user's object) is off.
 * - SNS PublishBatch, EventBridge PutEvents and Kinesis PutRecord(s) are
 *   producer spans with messaging attributes, like SQS and SNS sends.
 */
import { context as contextApi, SpanKind, trace, type Attributes, type Span } from '@opentelemetry/api';
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { AwsInstrumentation as OfficialAwsInstrumentation } from '@opentelemetry/instrumentation-aws-sdk';
import { log } from '../../config/diagnostics';
import { loadInstrumentationPackage } from '../../instrumentations/package-loader';
import type { MessagingSettings } from '../../config/resolved-config';
import { arnResource } from '../arn';
import { addDatadogHeaders, carrierFor, XRAY_KEY } from '../carriers';
import { withContext } from './message-context';
import { askForContexts, linkReceivedMessages } from './sqs-receive';
import type { Input } from './types';

const MIDDLEWARE_NAME = 'otelXrayDatadogContext';
const HEADERS_MIDDLEWARE_NAME = 'otelXrayDatadogHeaders';

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

/** The aws-sdk instrumentation we ship: the official one plus the messaging context above. */
export function createAwsSdkInstrumentation(settings: MessagingSettings): Instrumentation {
  const Official = loadInstrumentationPackage('@opentelemetry/instrumentation-aws-sdk').AwsInstrumentation as typeof OfficialAwsInstrumentation;
  if (typeof Official !== 'function') throw new Error('@opentelemetry/instrumentation-aws-sdk has no AwsInstrumentation');
  const stacks = new WeakSet<object>();
  const sends = new WeakMap<object, unknown>();
  const middleware = contextMiddleware(settings);

  class AwsSdkInstrumentation extends Official {
    constructor() {
      super({ suppressInternalInstrumentation: true });
    }

    override _updateMetricInstruments(): void {
      super._updateMetricInstruments();
      takeOverMessaging(this, settings.maxLinks);
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

function takeOverMessaging(instrumentation: object, maxLinks: number): void {
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
  const sqs = map.get('SQS');
  if (sqs !== undefined) map.set('SQS', receiverFor(sqs, maxLinks));
  const sns = map.get('SNS');
  map.set('SNS', producerFor(sns, { PublishBatch: (input) => snsDestination(input) }, 'aws.sns'));
  map.set('Kinesis', producerFor(map.get('Kinesis'), { PutRecord: kinesisDestination, PutRecords: kinesisDestination }, 'aws.kinesis'));
  map.set('EventBridge', producerFor(map.get('EventBridge'), { PutEvents: eventBridgeDestination }, 'aws.eventbridge'));
}

/** SQS as the official extension makes it, with ReceiveMessage reading every context a message carries (sqs-receive.ts). */
function receiverFor(inner: ServiceExtension, maxLinks: number): ServiceExtension {
  const extension: ServiceExtension = {
    requestPreSpanHook(request, config, diag) {
      const metadata = inner.requestPreSpanHook(request, config, diag);
      if (request.commandName === 'ReceiveMessage' && request.commandInput !== undefined) askForContexts(request.commandInput);
      return metadata;
    },
    responseHook(...args: unknown[]) {
      const [response, span] = args as [{ request?: { commandName?: string }; data?: { Messages?: unknown[] } }, Span];
      if (response?.request?.commandName !== 'ReceiveMessage') return inner.responseHook?.(...args);
      const messages = response.data?.Messages ?? [];
      span.setAttribute('messaging.batch.message_count', messages.length);
      linkReceivedMessages(span, messages, maxLinks);
      return undefined;
    },
  };
  if (inner.requestPostSpanHook) extension.requestPostSpanHook = inner.requestPostSpanHook.bind(inner);
  return extension;
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

const lastPart = (arn: string, separator: ':' | '/'): string => arnResource(arn, separator) ?? arn;

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

function contextMiddleware(settings: MessagingSettings): { context: Middleware; headers: Middleware } {
  const contextStep: Middleware = (next, handlerContext) => (args) => {
    let replaced: Input | undefined;
    try {
      const span = trace.getSpan(contextApi.active());
      const service = clientService(handlerContext);
      const carrier = carrierFor(span);
      // Whoever opts in to `_datadog` in EventBridge or Kinesis payloads has a Datadog reader on the other side.
      if (carrier !== undefined && span !== undefined && (service === 'EventBridge' || service === 'Kinesis')) addDatadogHeaders(carrier, span);
      if (carrier !== undefined) replaced = withContext(service, commandOf(handlerContext), args.input, carrier, settings);
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
