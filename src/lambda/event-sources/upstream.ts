/**
 * Reading the context an event carries from its producer, with one rule for
 * every source: a Datadog or W3C context (what tracers write) wins over an
 * X-Ray header (what AWS services pass along), and an X-Ray header that says
 * Sampled=0 is never used at all: X-Ray recorded no segment there, so a span
 * parented on it would point at nothing, and its flag would drop a trace the
 * producer kept. Baggage is kept whatever the parent.
 */
import { isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context, type SpanContext, type TextMapGetter } from '@opentelemetry/api';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { AWSXRAY_TRACE_ID_HEADER, AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { DatadogPropagator } from '../../datadog/propagator';

export type Carrier = Record<string, string>;

// A later valid parent replaces an earlier one: traceparent wins over Datadog's headers, as on hosts.
const tracers = new CompositePropagator({ propagators: [new DatadogPropagator(false), new W3CTraceContextPropagator(), new W3CBaggagePropagator()] });
const xray = new AWSXRayPropagator();
const XRAY_KEY = AWSXRAY_TRACE_ID_HEADER.toLowerCase();

const getter: TextMapGetter<Carrier> = {
  keys: (carrier) => Object.keys(carrier),
  get: (carrier, key) => carrier[key.toLowerCase()],
};

/** The valid span context in `context`, if any. */
export function validSpanContext(context: Context | undefined): SpanContext | undefined {
  const spanContext = context === undefined ? undefined : trace.getSpanContext(context);
  return spanContext !== undefined && isSpanContextValid(spanContext) ? spanContext : undefined;
}

/** An X-Ray header's context, only when X-Ray sampled it (see above). */
export function sampledXray(header: string | undefined, base: Context = ROOT_CONTEXT): Context | undefined {
  if (header === undefined || header.length > 512) return undefined;
  const context = xray.extract(base, { [XRAY_KEY]: header }, getter);
  const spanContext = validSpanContext(context);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? context : undefined;
}

/**
 * The producer's context in a flat carrier of lower-case keys: Datadog or
 * W3C, else a sampled X-Ray header (the carrier's own `x-amzn-trace-id`, else
 * `fallbackXray`, e.g. SQS's AWSTraceHeader). When none qualifies the result
 * holds no valid span context, only the carrier's baggage (if any).
 */
export function upstreamContext(carrier: Carrier | undefined, fallbackXray?: string): Context {
  const extracted = carrier === undefined ? ROOT_CONTEXT : tracers.extract(ROOT_CONTEXT, carrier, getter);
  if (validSpanContext(extracted) !== undefined) return extracted;
  return sampledXray(carrier?.[XRAY_KEY], extracted) ?? sampledXray(fallbackXray, extracted) ?? extracted;
}
