/**
 * The global propagator. Extraction runs in the configured order and a later
 * propagator's valid parent replaces an earlier one's, so with the default
 * order (xray, datadog, tracecontext, baggage) `traceparent` wins when headers
 * disagree: AWS load balancers mint a fresh X-Amzn-Trace-Id for requests that
 * arrive without one, while traceparent is only ever written by a tracer.
 * Injection writes every configured header (Datadog's only when asked for).
 */
import { trace, TraceFlags, type Context, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import type { ResolvedConfig } from '../config/resolved-config';
import { datadogPriorityOf, DatadogPropagator } from '../datadog/propagator';

export function createPropagator(config: Pick<ResolvedConfig, 'propagators' | 'datadogInjection'>): TextMapPropagator {
  const propagators = config.propagators.map((name): TextMapPropagator => {
    switch (name) {
      case 'xray':
        return new AWSXRayPropagator();
      case 'datadog':
        return new DatadogPropagator(config.datadogInjection);
      case 'tracecontext':
        return new W3CTraceContextPropagator();
      case 'baggage':
        return new W3CBaggagePropagator();
    }
  });
  return new DatadogDecisionCarrier(new CompositePropagator({ propagators }));
}

/**
 * A Lambda invocation span is recorded even when Datadog will drop its trace
 * (priority <= 0, see sampler.ts), so that APM stats count it. Downstream
 * services must drop their part too, or Datadog would keep spans whose
 * parents it dropped: such a context goes out as not sampled in every format.
 */
class DatadogDecisionCarrier implements TextMapPropagator {
  constructor(private readonly inner: TextMapPropagator) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const spanContext = trace.getSpanContext(context);
    if (spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0) {
      const priority = datadogPriorityOf(spanContext.traceState);
      if (priority !== undefined && priority <= 0) context = trace.setSpanContext(context, { ...spanContext, traceFlags: spanContext.traceFlags & ~TraceFlags.SAMPLED });
    }
    this.inner.inject(context, carrier, setter);
  }

  extract(context: Context, carrier: unknown, getter: Parameters<TextMapPropagator['extract']>[2]): Context {
    return this.inner.extract(context, carrier, getter);
  }

  fields(): string[] {
    return this.inner.fields();
  }
}
