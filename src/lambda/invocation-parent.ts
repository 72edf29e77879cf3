/**
 * The parent of an invocation span and what Datadog should do with its trace.
 *
 * Lambda's X-Ray segment for the invocation (`xrayHeader`) and the producer's
 * context in the event (`upstream`, see event-sources/) are the candidates.
 * With the default sampling mode (`all`, OTEL_XRAY_DD_LAMBDA_SAMPLING):
 *   - a segment X-Ray sampled is the parent (or the event's context, when
 *     OTEL_XRAY_DD_LAMBDA_PARENT=headers and the event has one): the span is
 *     drawn under Lambda's own segment, which Datadog merges from X-Ray;
 *   - a segment X-Ray did not sample was never recorded anywhere, so the span
 *     does not point at it: the event's context is the parent, else the span
 *     is the root of a new trace;
 *   - the invocation is exported whatever X-Ray sampled, and carries
 *     Datadog's sampling priority: the upstream's decision (its Datadog
 *     priority, else its W3C/X-Ray flag), else the configured
 *     OTEL_TRACES_SAMPLER's decision, else (mode `xray-priority` only) X-Ray's
 *     flag, else keep (see sampler.ts).
 * Mode `xray` is the strict behaviour of earlier releases: the X-Ray segment
 * is the parent whatever it sampled, and the configured sampler follows its
 * flag, so an invocation X-Ray did not sample exports nothing.
 */
import { isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { AWSXRAY_TRACE_ID_HEADER, AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { datadogPriorityOf } from '../datadog/propagator';
import type { LambdaParentPriority, LambdaSamplingMode } from '../config/settings';

/** What the sampler needs to decide an invocation span's Datadog priority (sampler.ts). */
export interface InvocationSampling {
  /** The decision the event's producer made, when it carried one. */
  upstreamPriority?: number;
  /** X-Ray's flag as a priority, in mode `xray-priority`. */
  xrayPriority?: number;
}

export interface ParentChoice {
  parent: Context;
  /** Absent in mode `xray`: the configured sampler decides as for any span. */
  sampling?: InvocationSampling;
}

const xray = new AWSXRayPropagator();
const getter: TextMapGetter<Record<string, string>> = { keys: (c) => Object.keys(c), get: (c, k) => c[k] };

export function chooseParent(xrayHeader: string | undefined, upstream: Context | undefined, priority: LambdaParentPriority, mode: LambdaSamplingMode): ParentChoice {
  const fromEvent = upstream ?? ROOT_CONTEXT;
  const eventSpan = valid(trace.getSpanContext(fromEvent));
  const segment = xrayHeader ? valid(trace.getSpanContext(xray.extract(ROOT_CONTEXT, { [AWSXRAY_TRACE_ID_HEADER]: xrayHeader }, getter))) : undefined;
  const segmentWins = (s: SpanContext | undefined): s is SpanContext => s !== undefined && (priority === 'xray-env' || eventSpan === undefined);

  if (mode === 'xray') return { parent: segmentWins(segment) ? trace.setSpanContext(fromEvent, segment) : fromEvent };

  const sampling: InvocationSampling = {};
  if (eventSpan !== undefined) sampling.upstreamPriority = datadogPriorityOf(eventSpan.traceState) ?? (isSampled(eventSpan) ? 1 : 0);
  if (mode === 'xray-priority' && segment !== undefined) sampling.xrayPriority = isSampled(segment) ? 1 : 0;
  const sampledSegment = segment !== undefined && isSampled(segment) ? segment : undefined;
  // The event's baggage stays, whoever the parent.
  return { parent: segmentWins(sampledSegment) ? trace.setSpanContext(fromEvent, sampledSegment) : fromEvent, sampling };
}

function valid(spanContext: SpanContext | undefined): SpanContext | undefined {
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

function isSampled(spanContext: SpanContext): boolean {
  return (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
}
