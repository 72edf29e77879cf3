/**
 * OTEL_TRACES_SAMPLER semantics, parent-based by default so an incoming
 * Sampled=0 is honoured, with one exception: a Lambda invocation span that
 * the invocation wrapper marks (INVOCATION_SAMPLING, see
 * lambda/invocation-parent.ts) is always recorded and exported, so Datadog's
 * APM stats count every invocation; whether Datadog keeps its trace travels
 * as Datadog's sampling priority in the span's tracestate (`dd=s:<priority>`),
 * which the span's children inherit, DatadogNames turns into the
 * `sampling.priority` attribute the collector's exporter reads, and the
 * propagators pass on (a priority <= 0 goes out as "not sampled").
 */
import { createContextKey, ROOT_CONTEXT, trace, type Attributes, type Context, type Link, type SpanKind } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SamplingResult,
} from '@opentelemetry/sdk-trace-base';
import type { ResolvedConfig } from '../config/resolved-config';
import { withDatadogPriority } from '../datadog/propagator';
import type { InvocationSampling } from '../lambda/invocation-parent';

/** Set (only) on the context an invocation span is started with. */
export const INVOCATION_SAMPLING = createContextKey('otel-xray-datadog invocation sampling');

/**
 * Set on the context of the invocation rehearsed at init (lambda/invocation.ts
 * rehearseInvocation): its span is recorded, so every span processor runs, but
 * not sampled, so it is never exported.
 */
export const REHEARSAL = createContextKey('otel-xray-datadog rehearsal');

/** Datadog's AUTO_KEEP. */
const KEEP = 1;

export function createSampler(config: ResolvedConfig['sampler']): Sampler {
  return new InvocationAwareSampler(configuredSampler(config), config.explicit);
}

function configuredSampler({ name, ratio }: ResolvedConfig['sampler']): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

class InvocationAwareSampler implements Sampler {
  constructor(
    private readonly configured: Sampler,
    /** OTEL_TRACES_SAMPLER was set: its decision is the priority of invocations nothing upstream decided for. */
    private readonly explicit: boolean,
  ) {}

  shouldSample(context: Context, traceId: string, spanName: string, spanKind: SpanKind, attributes: Attributes, links: Link[]): SamplingResult {
    if (context.getValue(REHEARSAL) === true) return { decision: SamplingDecision.RECORD };
    const invocation = context.getValue(INVOCATION_SAMPLING) as InvocationSampling | undefined;
    if (invocation === undefined) return this.configured.shouldSample(context, traceId, spanName, spanKind, attributes, links);
    let priority = invocation.upstreamPriority;
    if (priority === undefined && this.explicit) {
      // As a root: the X-Ray segment's flag is not an upstream decision.
      const decision = this.configured.shouldSample(ROOT_CONTEXT, traceId, spanName, spanKind, attributes, links).decision;
      priority = decision === SamplingDecision.RECORD_AND_SAMPLED ? KEEP : 0;
    }
    priority ??= invocation.xrayPriority ?? KEEP;
    return { decision: SamplingDecision.RECORD_AND_SAMPLED, traceState: withDatadogPriority(trace.getSpanContext(context)?.traceState, priority) };
  }

  toString(): string {
    return `InvocationAwareSampler{${this.configured.toString()}}`;
  }
}
