/**
 * The global propagator. Extraction runs in the configured order and a later
 * propagator's valid parent replaces an earlier one's, so with the default
 * order (xray, datadog, tracecontext, baggage) `traceparent` wins when headers
 * disagree: AWS load balancers mint a fresh X-Amzn-Trace-Id for requests that
 * arrive without one, while traceparent is only ever written by a tracer.
 * Injection writes every configured header (Datadog's only when asked for).
 */
import type { TextMapPropagator } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import type { ResolvedConfig } from './config';
import { DatadogPropagator } from './datadog-propagator';

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
  return new CompositePropagator({ propagators });
}
