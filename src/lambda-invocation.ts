/**
 * Lambda glue around @opentelemetry/instrumentation-aws-lambda:
 * - the invocation's parent comes from Lambda's X-Ray segment
 *   (_X_AMZN_TRACE_ID, re-set by the runtime for every invocation) or from the
 *   event's HTTP headers, in the configured priority;
 * - faas.trigger is set for the common event sources;
 * - the flush before returning to the runtime is bounded by a budget, so a
 *   slow or dead collector never delays or fails an invocation.
 */
import {
  defaultTextMapGetter,
  isSpanContextValid,
  propagation,
  ROOT_CONTEXT,
  trace,
  type Context,
  type Span,
  type Tracer,
  type TracerOptions,
  type TracerProvider,
} from '@opentelemetry/api';
import type { AwsLambdaInstrumentation } from '@opentelemetry/instrumentation-aws-lambda';
import { AWSXRAY_TRACE_ID_HEADER, AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { settleWithin } from './bounded';
import type { LambdaParentPriority, ResolvedConfig } from './config';
import { createOnceLogger } from './diagnostics';

export interface LambdaHooks {
  /** What the Lambda instrumentation flushes through; forceFlush never outlasts the budget. */
  flushBoundedProvider: TracerProvider & { forceFlush(): Promise<void> };
  /** Called at the start of each invocation with the context's remaining-time clock. */
  onInvocation(remainingMs: () => number): void;
}

const xray = new AWSXRayPropagator();

/**
 * `flushAll` must also wait for exports already in flight: the batch timer may
 * have started one just before the invocation ended, and the sandbox freezes
 * as soon as the handler returns.
 */
export function createLambdaHooks(provider: TracerProvider, flushAll: () => Promise<void>, flushTimeoutMs: number): LambdaHooks {
  let remaining: (() => number) | undefined;
  const warnOnce = createOnceLogger();
  return {
    onInvocation(remainingMs) {
      remaining = remainingMs;
    },
    flushBoundedProvider: {
      getTracer: (name: string, version?: string, options?: TracerOptions): Tracer => provider.getTracer(name, version, options),
      forceFlush: async () => {
        const budget = flushBudget(flushTimeoutMs, remaining);
        const settled = await settleWithin(flushAll(), budget);
        if (!settled) {
          warnOnce(
            'flush-budget',
            `flushing spans took longer than the ${budget} ms budget; the invocation returned without waiting ` +
              '(remaining spans are sent with a later invocation). Raise OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS if this repeats.',
          );
        }
      },
    },
  };
}

/** Half of the invocation's remaining time, capped by the configured timeout. */
export function flushBudget(flushTimeoutMs: number, remaining: (() => number) | undefined): number {
  let left = Number.POSITIVE_INFINITY;
  try {
    const value = remaining?.();
    if (typeof value === 'number' && Number.isFinite(value)) left = value;
  } catch {
    // A context without getRemainingTimeInMillis: use the configured timeout.
  }
  return Math.max(0, Math.min(flushTimeoutMs, Math.floor(left / 2)));
}

export function createLambdaInstrumentation(
  config: ResolvedConfig,
  hooks: Pick<LambdaHooks, 'onInvocation'>,
): AwsLambdaInstrumentation {
  // Loaded only inside Lambda: outside it the package is dead weight at start-up.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { AwsLambdaInstrumentation } = require('@opentelemetry/instrumentation-aws-lambda') as typeof import('@opentelemetry/instrumentation-aws-lambda');
  return new AwsLambdaInstrumentation({
    eventContextExtractor: (event: unknown) => invocationParent(event, config.lambda.parentPriority),
    requestHook: (span: Span, { event, context }) => {
      if (typeof context?.getRemainingTimeInMillis === 'function') {
        hooks.onInvocation(() => context.getRemainingTimeInMillis());
      }
      const trigger = faasTrigger(event);
      if (trigger !== undefined) span.setAttribute('faas.trigger', trigger);
    },
  });
}

/**
 * The parent of an invocation span. The X-Ray env context and the event's
 * headers are both read; `priority` says which wins when both are valid.
 * Baggage from the headers is kept either way.
 */
export function invocationParent(event: unknown, priority: LambdaParentPriority, env: Readonly<Record<string, string | undefined>> = process.env): Context {
  const fromHeaders = propagation.extract(ROOT_CONTEXT, lowerCaseHeaders(event), defaultTextMapGetter);
  const headerSpan = trace.getSpanContext(fromHeaders);
  const headersValid = headerSpan !== undefined && isSpanContextValid(headerSpan);

  const envHeader = env._X_AMZN_TRACE_ID;
  const fromEnv = envHeader ? trace.getSpanContext(xray.extract(ROOT_CONTEXT, { [AWSXRAY_TRACE_ID_HEADER]: envHeader }, defaultTextMapGetter)) : undefined;
  const envValid = fromEnv !== undefined && isSpanContextValid(fromEnv);

  if (envValid && (priority === 'xray-env' || !headersValid)) return trace.setSpanContext(fromHeaders, fromEnv);
  if (headersValid) return fromHeaders;
  return ROOT_CONTEXT;
}

function lowerCaseHeaders(event: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const headers = isRecord(event) ? event.headers : undefined;
  if (!isRecord(headers)) return out;
  let count = 0;
  for (const [key, value] of Object.entries(headers)) {
    if (++count > 200) break; // a pathological event must not cost the invocation
    if (typeof value === 'string') out[key.toLowerCase()] = value;
  }
  return out;
}

/** faas.trigger for the usual event sources; undefined when the shape is not recognised. */
export function faasTrigger(event: unknown): string | undefined {
  if (!isRecord(event)) return undefined;
  const requestContext = event.requestContext;
  if (isRecord(requestContext) && ('httpMethod' in event || 'http' in requestContext || 'elb' in requestContext)) return 'http';
  if (typeof event.httpMethod === 'string') return 'http';
  if (event.source === 'aws.events' && event['detail-type'] === 'Scheduled Event') return 'timer';
  const records = event.Records;
  if (Array.isArray(records) && isRecord(records[0])) {
    const source = records[0].eventSource ?? records[0].EventSource;
    if (source === 'aws:sqs' || source === 'aws:sns') return 'pubsub';
    if (source === 'aws:s3' || source === 'aws:dynamodb' || source === 'aws:kinesis') return 'datasource';
  }
  return 'other';
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
