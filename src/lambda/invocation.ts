/**
 * One span per Lambda invocation, wrapped around the user's handler:
 * - its parent is Lambda's X-Ray segment for THIS invocation (context.xRayTraceId,
 *   then the runtime's invoke store, then _X_AMZN_TRACE_ID) or the producer's
 *   context in the event, as lambda/invocation-parent.ts decides; where the
 *   event came from is read by lambda/event-sources/;
 * - queue, topic, stream and event-bus events get a consumer span under the
 *   invocation span, linked to each record's producer;
 * - the span covers the handler until its promise settles or it calls back,
 *   and records the error it fails with;
 * - spans are flushed before the runtime hears the outcome, within a budget;
 *   a receiver that failed or made a flush wait is not waited for again until
 *   it answers in time (tracing/receiver-gate.ts), so it costs one invocation, not each;
 * - everything about an invocation lives in that invocation's closure: Lambda
 *   Managed Instances run many invocations at once in one process.
 */
import { context as contextApi, SpanKind, SpanStatusCode, trace, type Context, type Link, type Span, type Tracer } from '@opentelemetry/api';
import type { LambdaParentPriority, LambdaSamplingMode } from '../config/resolved-config';
import { readEventTrace, type InferredSpan } from './event-sources';
import { coldStartRecording } from '../loading/cold-start-recorder';
import { drawColdStart } from './cold-start-spans';
import { chooseParent } from './invocation-parent';
import { arnAccount } from '../messaging/arn';
import { INVOCATION_SAMPLING, REHEARSAL } from '../tracing/sampler';

type Env = Readonly<Record<string, string | undefined>>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/** What the wrapper needs besides the tracer (see start.ts). */
export interface LambdaTracing {
  parentPriority: LambdaParentPriority;
  samplingMode: LambdaSamplingMode;
  /** Most span links one event gives the consumer span. */
  maxLinks: number;
  flushTimeoutMs: number;
  /** Sends every finished span, waiting at most `ms`; resolves false when it gave up. Never rejects. */
  flushWithin(ms: number): Promise<boolean>;
  /** Called once, after the first invocation has been answered (checks that cost nothing on the way). */
  afterFirstInvocation?(): void;
  /** Draw the cold start as spans on the first invocation: the shortest module load drawn (undefined: off). */
  coldStartMinMs?: number;
  /** Draw the managed service's hop (API Gateway, the queue...) between the producer and the invocation. */
  inferredSpans: boolean;
  /** Takes the span of the invocation rehearsed at init (rehearseInvocation): encoded once, never sent. */
  warmUp?(span: Span): void;
}

export interface InvocationTracing extends LambdaTracing {
  tracer: Tracer;
}

/** The Lambda context fields we read; every one may be missing or malformed. */
interface LambdaContextLike {
  functionName?: unknown;
  awsRequestId?: unknown;
  invokedFunctionArn?: unknown;
  xRayTraceId?: unknown;
  clientContext?: unknown;
  getRemainingTimeInMillis?: unknown;
}

// The runtime marks response-streaming handlers with this symbol; the wrapper must carry it.
const STREAMING = Symbol.for('aws.lambda.runtime.handler.streaming');
// A first invocation this long after init was a proactive initialization, not a cold start.
const PROACTIVE_INIT_MS = 10_000;

/** Returns the function that replaces the user's handler; it keeps the handler's arity and markers. */
export function createHandlerWrapper(tracing: InvocationTracing, env: Env = process.env): (original: AnyFunction) => AnyFunction {
  const initializedAt = Date.now() - Math.floor(process.uptime() * 1000);
  let invocationsStarted = 0;
  const isColdStart = (): boolean =>
    ++invocationsStarted === 1 && env.AWS_LAMBDA_INITIALIZATION_TYPE !== 'provisioned-concurrency' && Date.now() - initializedAt < PROACTIVE_INIT_MS;

  return (original) => {
    const streaming = (original as unknown as Record<symbol, unknown>)[STREAMING] === 'response';
    const wrapped = function (this: unknown, ...args: unknown[]): unknown {
      let invocation: Invocation;
      try {
        const lambdaContext = (streaming ? args[2] : args[1]) as LambdaContextLike | undefined;
        invocation = startInvocation(tracing, args[0], lambdaContext, isColdStart(), env);
      } catch {
        // Our bug must not cost the user's invocation.
        return original.apply(this, args);
      }
      return contextApi.with(invocation.context, () => runHandler(original, this, args, streaming, invocation));
    };
    Object.defineProperty(wrapped, 'length', { value: original.length });
    Object.defineProperty(wrapped, 'name', { value: original.name });
    for (const symbol of Object.getOwnPropertySymbols(original)) {
      (wrapped as unknown as Record<symbol, unknown>)[symbol] = (original as unknown as Record<symbol, unknown>)[symbol];
    }
    return wrapped;
  };
}

interface Invocation {
  context: Context;
  /** Ends the span (once) and flushes within the budget; never rejects. */
  finish(error?: unknown): Promise<void>;
}

/**
 * Runs the handler the way the runtime would, but reports its outcome to the
 * runtime only after the span has ended and been flushed.
 */
function runHandler(original: AnyFunction, self: unknown, args: unknown[], streaming: boolean, invocation: Invocation): unknown {
  const callback = !streaming && typeof args[2] === 'function' ? (args[2] as (error: unknown, result?: unknown) => void) : undefined;
  if (callback) {
    // Callback-capable runtime (nodejs20.x/22.x): the first outcome, from the
    // callback, the returned promise or a throw, ends the span; the runtime
    // still receives every call the handler makes, as it would untraced.
    const complete = (error: unknown, result?: unknown): void => {
      void invocation.finish(error ?? undefined).then(() => callback(error, result));
    };
    const callArgs = [...args];
    callArgs[2] = complete;
    let returned: unknown;
    try {
      returned = original.apply(self, callArgs);
    } catch (error) {
      // The runtime answers a synchronous throw exactly like callback(error).
      complete(error);
      return undefined;
    }
    return isThenable(returned) ? settleThenReport(returned, invocation) : returned;
  }
  let returned: unknown;
  try {
    returned = original.apply(self, args);
  } catch (error) {
    return invocation.finish(error).then(() => {
      throw error;
    });
  }
  if (isThenable(returned)) return settleThenReport(returned, invocation);
  return invocation.finish().then(() => returned);
}

function settleThenReport(returned: PromiseLike<unknown>, invocation: Invocation): Promise<unknown> {
  return Promise.resolve(returned).then(
    (value) => invocation.finish().then(() => value),
    (error: unknown) =>
      invocation.finish(error ?? new Error('handler rejected')).then(() => {
        throw error;
      }),
  );
}

/**
 * One invocation's tracing run at init on a synthetic event, with a span that
 * is recorded but not sampled (REHEARSAL): it is never exported. Init runs
 * once and the first invocation is waited for, so the code an invocation runs
 * (parent choice, span, span processors, the flush, then encoding, warmUp)
 * runs there first and the first invocation costs what a warm one does.
 * Never throws; nothing of it reaches the user's handler.
 */
export function rehearseInvocation(tracing: InvocationTracing, env: Env = process.env): void {
  try {
    const name = env.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda.invoke';
    const lambdaContext: LambdaContextLike = {
      functionName: name,
      awsRequestId: '00000000-0000-4000-8000-000000000000',
      invokedFunctionArn: `arn:aws:lambda:${env.AWS_REGION ?? 'us-east-1'}:000000000000:function:${name}`,
      xRayTraceId: 'Root=1-00000001-000000000000000000000001;Parent=0000000000000001;Sampled=1',
      getRemainingTimeInMillis: () => tracing.flushTimeoutMs * 2,
    };
    const rehearsal = { ...tracing, coldStartMinMs: undefined, afterFirstInvocation: undefined };
    const invocation = startInvocation(rehearsal, {}, lambdaContext, false, env, true);
    // Inside the invocation's context, as the handler runs: on Node 22 the context
    // manager's first run switches on Node's promise hooks, a module load of its own.
    // finish() ends the span at once; its flush finds nothing to send.
    void contextApi.with(invocation.context, () => invocation.finish());
    const span = trace.getSpan(invocation.context);
    if (span !== undefined) tracing.warmUp?.(span);
  } catch {
    // A rehearsal that fails costs the first invocation its warm start, nothing else.
  }
}

function startInvocation(tracing: InvocationTracing, event: unknown, lambdaContext: LambdaContextLike | undefined, coldStart: boolean, env: Env, rehearsal = false): Invocation {
  const source = readEventTrace(event, lambdaContext?.clientContext, tracing.maxLinks);
  const { parent, sampling } = chooseParent(xrayTraceHeader(lambdaContext, env), source.upstream, tracing.parentPriority, tracing.samplingMode);
  const arn = stringOrUndefined(lambdaContext?.invokedFunctionArn);
  const attributes: Record<string, string | boolean> = { 'faas.coldstart': coldStart, 'faas.trigger': source.trigger };
  const requestId = stringOrUndefined(lambdaContext?.awsRequestId);
  if (requestId !== undefined) attributes['faas.invocation_id'] = requestId;
  if (arn !== undefined) {
    attributes['cloud.resource_id'] = arn;
    const account = arnAccount(arn);
    if (account) attributes['cloud.account.id'] = account;
  }
  const name = stringOrUndefined(lambdaContext?.functionName) ?? env.AWS_LAMBDA_FUNCTION_NAME ?? 'lambda.invoke';
  // The message that became the parent is not linked as well.
  const links = withoutParent(source.links, parent);
  const consumer = source.consumer;
  // The sampling mark goes on the invocation span's start context only: its children are ordinary spans.
  const sampled = sampling === undefined ? parent : parent.setValue(INVOCATION_SAMPLING, sampling);
  const marked = rehearsal ? sampled.setValue(REHEARSAL, true) : sampled;
  const hops = tracing.inferredSpans && source.inferred !== undefined ? startInferredSpans(tracing.tracer, source.inferred, marked, parent) : undefined;
  const span = tracing.tracer.startSpan(name, { kind: SpanKind.SERVER, attributes, links: consumer ? [] : links }, hops?.context ?? marked);
  let handlerContext = trace.setSpan(parent, span);
  if (tracing.coldStartMinMs !== undefined) drawColdStartOnce(tracing, handlerContext, name, coldStart);
  let consumerSpan: Span | undefined;
  if (consumer !== undefined) {
    consumerSpan = tracing.tracer.startSpan(consumer.name, { kind: SpanKind.CONSUMER, attributes: consumer.attributes, links }, handlerContext);
    handlerContext = trace.setSpan(handlerContext, consumerSpan);
  }
  const remaining = remainingTimeOf(lambdaContext);

  let finished: Promise<void> | undefined;
  return {
    context: handlerContext,
    finish(error) {
      if (consumerSpan !== undefined && finished === undefined) {
        if (error !== undefined && error !== null) consumerSpan.setStatus({ code: SpanStatusCode.ERROR });
        consumerSpan.end();
      }
      finished ??= endAndFlush(span, error, tracing, remaining, hops?.endWithInvocation);
      return finished;
    },
  };
}

// One sandbox per process: its first invocation ends the recording, and draws it when it was a cold start.
let recordingEnded = false;

/**
 * The managed service's hops (event-sources/ InferredSpan), outermost first,
 * between the invocation's parent and the invocation span. The first span
 * started takes the invocation's sampling mark (`marked`), so the decision
 * covers the whole local trace. A hop whose start is after its end (clocks of
 * two services) is not drawn.
 */
function startInferredSpans(tracer: Tracer, innermost: InferredSpan, marked: Context, parent: Context): { context: Context; endWithInvocation: Span[] } | undefined {
  const chain: InferredSpan[] = [];
  for (let hop: InferredSpan | undefined = innermost; hop !== undefined; hop = hop.upstream) chain.unshift(hop);
  const now = Date.now();
  let context: Context | undefined;
  const endWithInvocation: Span[] = [];
  for (const hop of chain) {
    const endMs = hop.end === 'invocation' ? now : hop.end === 'arrival' ? now : hop.end;
    if (hop.startMs > endMs) continue;
    const span = tracer.startSpan(
      hop.operation,
      {
        kind: hop.kind === 'server' ? SpanKind.SERVER : SpanKind.CONSUMER,
        startTime: hop.startMs,
        attributes: { 'operation.name': hop.operation, 'resource.name': hop.resource, 'service.name': hop.service, 'span.type': hop.kind === 'server' ? 'http' : 'web' },
      },
      context ?? marked,
    );
    if (hop.end === 'invocation') endWithInvocation.push(span);
    else span.end(endMs);
    context = trace.setSpan(parent, span);
  }
  return context === undefined ? undefined : { context, endWithInvocation };
}

function drawColdStartOnce(tracing: InvocationTracing, invocation: Context, functionName: string, coldStart: boolean): void {
  if (recordingEnded) return;
  recordingEnded = true;
  const records = coldStartRecording()?.stop();
  if (records !== undefined && coldStart && tracing.coldStartMinMs !== undefined) drawColdStart(tracing.tracer, invocation, functionName, records, tracing.coldStartMinMs);
}

function withoutParent(links: readonly Link[], parent: Context): Link[] {
  const parentSpan = trace.getSpanContext(parent);
  if (parentSpan === undefined) return [...links];
  return links.filter((link) => link.context.spanId !== parentSpan.spanId || link.context.traceId !== parentSpan.traceId);
}

async function endAndFlush(span: Span, error: unknown, tracing: InvocationTracing, remaining: () => number | undefined, alsoEnd: readonly Span[] = []): Promise<void> {
  if (error !== undefined && error !== null) recordError(span, error);
  span.end();
  for (const hop of alsoEnd) hop.end();
  // A flush that runs out of budget is explained once by the export gate.
  await tracing.flushWithin(flushBudget(tracing.flushTimeoutMs, remaining));
  const after = tracing.afterFirstInvocation;
  if (after !== undefined) {
    tracing.afterFirstInvocation = undefined;
    // After the runtime has the outcome, never on its way.
    setImmediate(() => {
      try {
        after();
      } catch {
        // A diagnostic must not cost the function anything.
      }
    }).unref();
  }
}

function recordError(span: Span, error: unknown): void {
  if (error instanceof Error) {
    span.recordException(error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
  } else {
    span.setStatus({ code: SpanStatusCode.ERROR, message: typeof error === 'string' ? error : 'handler failed' });
  }
}

function remainingTimeOf(lambdaContext: LambdaContextLike | undefined): () => number | undefined {
  const read = lambdaContext?.getRemainingTimeInMillis;
  if (typeof read !== 'function') return () => undefined;
  return () => {
    const value: unknown = read.call(lambdaContext);
    return typeof value === 'number' ? value : undefined;
  };
}

/** Half of the invocation's remaining time, capped by the configured timeout. */
export function flushBudget(flushTimeoutMs: number, remaining: () => number | undefined): number {
  let left = Number.POSITIVE_INFINITY;
  try {
    const value = remaining();
    if (typeof value === 'number' && Number.isFinite(value)) left = value;
  } catch {
    // A context whose clock throws: use the configured timeout.
  }
  return Math.max(0, Math.min(flushTimeoutMs, Math.floor(left / 2)));
}

/**
 * This invocation's X-Ray header. context.xRayTraceId and the invoke store are
 * per invocation; _X_AMZN_TRACE_ID is per process and absent on Lambda Managed
 * Instances, where invocations run concurrently.
 */
export function xrayTraceHeader(lambdaContext: LambdaContextLike | undefined, env: Env = process.env): string | undefined {
  const fromContext = stringOrUndefined(lambdaContext?.xRayTraceId);
  if (fromContext) return fromContext;
  const fromStore = invokeStoreTraceId();
  if (fromStore) return fromStore;
  return stringOrUndefined(env._X_AMZN_TRACE_ID);
}

/** The runtime's per-invocation store (@aws/lambda-invoke-store), read through the global the runtime sets. */
function invokeStoreTraceId(): string | undefined {
  try {
    const store = (globalThis as { awslambda?: { InvokeStore?: { getXRayTraceId?: () => unknown } } }).awslambda?.InvokeStore;
    return typeof store?.getXRayTraceId === 'function' ? stringOrUndefined(store.getXRayTraceId()) : undefined;
  } catch {
    return undefined;
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}
