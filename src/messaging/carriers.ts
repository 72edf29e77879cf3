/**
 * What travels with a message, shared by the producer side (the AWS SDK
 * middleware, messaging/aws-sdk/) and the Lambda consumer side
 * (lambda/event-sources/):
 *
 * - the carrier our context is written into: what the global propagator
 *   writes (X-Amzn-Trace-Id, traceparent/tracestate, baggage, and the
 *   x-datadog-* headers when Datadog injection is on);
 * - the `_datadog` carrier dd-trace and Datadog's Lambda libraries use: one
 *   JSON object holding those headers, in one message attribute, in an
 *   EventBridge `detail` or in a Kinesis JSON record;
 * - a reader for every carrier others write, whatever OTEL_PROPAGATORS says:
 *   reading a context costs nothing to the sender, and AWS (AWSTraceHeader)
 *   and dd-trace (`_datadog`) write formats of their own.
 */
import { context as contextApi, propagation, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { DatadogPropagator } from '../datadog/propagator';

/** The carrier key dd-trace and Datadog's Lambda libraries use. */
export const DATADOG_KEY = '_datadog';
export const XRAY_KEY = 'x-amzn-trace-id';
const DATADOG_TRACE_ID = 'x-datadog-trace-id';

// dd-trace's carriers are a few hundred bytes; anything this large is not one.
export const MAX_CARRIER_BYTES = 4096;
// A carrier object with more keys than this is not a trace carrier.
const MAX_CARRIER_KEYS = 32;
// Header names are short; a long key is not one (and is not lower-cased).
export const MAX_KEY_LENGTH = 128;

// ---------------------------------------------------------------------------
// Producer side
// ---------------------------------------------------------------------------

/**
 * What the global propagator writes for `span` (lower-case keys), or
 * undefined when the span has no valid context. Tracing may be suppressed
 * where the SDK call runs (its HTTP request must not be traced twice), so
 * the carrier is written from a fresh context holding the span and the
 * active baggage only.
 */
export function carrierFor(span: Span | undefined, active: Context = contextApi.active()): Record<string, string> | undefined {
  if (span === undefined || !trace.isSpanContextValid(span.spanContext())) return undefined;
  const baggage = propagation.getBaggage(active);
  const source = trace.setSpan(baggage ? propagation.setBaggage(ROOT_CONTEXT, baggage) : ROOT_CONTEXT, span);
  const carrier: Record<string, string> = {};
  propagation.inject(source, carrier, {
    set(target, key, value) {
      (target as Record<string, string>)[key.toLowerCase()] = value;
    },
  });
  return Object.keys(carrier).length > 0 ? carrier : undefined;
}

const datadogWriter = new DatadogPropagator(true);

/** Datadog's headers for `span` added to `carrier` when the configured propagators did not write them. */
export function addDatadogHeaders(carrier: Record<string, string>, span: Span): void {
  if (datadogInjectionOn(carrier)) return;
  datadogWriter.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, {
    set(target, key, value) {
      (target as Record<string, string>)[key.toLowerCase()] = value;
    },
  });
}

/** Whether the configured propagators write Datadog's headers (OTEL_PROPAGATORS lists datadog explicitly). */
export function datadogInjectionOn(carrier: Record<string, string>): boolean {
  return carrier[DATADOG_TRACE_ID] !== undefined;
}

/**
 * The `_datadog` JSON object as dd-trace writes it: its own headers and the
 * W3C ones. The X-Ray header is left out: AWS carries it (AWSTraceHeader) and
 * traceparent holds the same ids.
 */
export function datadogCarrier(carrier: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(carrier)) if (key !== XRAY_KEY) out[key] = value;
  return out;
}

/** The W3C keys of a carrier, in the order they matter: traceparent first. */
export function w3cEntries(carrier: Record<string, string>): [string, string][] {
  const out: [string, string][] = [];
  for (const key of ['traceparent', 'tracestate', 'baggage']) {
    const value = carrier[key];
    if (value !== undefined && value !== '') out.push([key, value]);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Consumer side
// ---------------------------------------------------------------------------

/** A flat carrier from an object of header-like values: lower-case keys, strings only, bounded. */
export function carrierFromObject(value: unknown, into: Record<string, string> = {}): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return into;
  let keys = 0;
  for (const key in value) {
    if (!Object.prototype.hasOwnProperty.call(value, key)) continue;
    if (++keys > MAX_CARRIER_KEYS) break;
    const entry = (value as Record<string, unknown>)[key];
    if (typeof entry === 'string' && entry.length <= MAX_CARRIER_BYTES && key.length <= MAX_KEY_LENGTH) into[key.toLowerCase()] = entry;
  }
  return into;
}

/** A `_datadog` value as written to a message attribute: JSON text, or JSON bytes (base64 in Lambda events). */
export function parseDatadogJson(text: string | undefined, base64 = false): Record<string, string> | undefined {
  if (text === undefined || text.length === 0) return undefined;
  if (text.length > (base64 ? Math.ceil((MAX_CARRIER_BYTES * 4) / 3) + 4 : MAX_CARRIER_BYTES)) return undefined;
  let json = text;
  if (base64) {
    if (!/^[A-Za-z0-9+/=\s]*$/.test(text)) return undefined;
    json = Buffer.from(text, 'base64').toString('utf8');
  }
  if (json.charCodeAt(0) !== 123 /* { */) return undefined;
  try {
    const carrier = carrierFromObject(JSON.parse(json) as unknown);
    return Object.keys(carrier).length > 0 ? carrier : undefined;
  } catch {
    return undefined;
  }
}
