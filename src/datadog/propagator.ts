/**
 * Reads and writes Datadog's own trace headers, so a request that passes
 * through a dd-trace service configured for `datadog` propagation only stays
 * in one trace. No OpenTelemetry JS package provides this.
 *
 *   x-datadog-trace-id           lower 64 bits of the trace id, decimal
 *   x-datadog-parent-id          span id, decimal
 *   x-datadog-sampling-priority  -1 user-reject, 0 auto-reject, 1 auto-keep, 2 user-keep
 *   x-datadog-origin             e.g. "lambda", "synthetics"
 *   x-datadog-tags               k=v list; _dd.p.tid holds the upper 64 bits (16 hex)
 *
 * Priority and origin survive the hop through our service in the W3C
 * tracestate `dd` entry (`s:<priority>;o:<origin>`), as dd-trace does.
 */
import { isSpanContextValid, trace, TraceFlags, type Context, type SpanContext, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';

const TRACE_ID = 'x-datadog-trace-id';
const PARENT_ID = 'x-datadog-parent-id';
const PRIORITY = 'x-datadog-sampling-priority';
const ORIGIN = 'x-datadog-origin';
const TAGS = 'x-datadog-tags';
const UINT64_MAX = (1n << 64n) - 1n;
// x-datadog-tags is capped at 512 bytes by dd-trace; a longer value is not from a tracer.
const MAX_TAGS_LENGTH = 512;

export class DatadogPropagator implements TextMapPropagator {
  constructor(private readonly injectHeaders = true) {}

  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    if (!this.injectHeaders) return;
    const spanContext = trace.getSpanContext(context);
    if (!spanContext || !isSpanContextValid(spanContext)) return;
    const lower = BigInt(`0x${spanContext.traceId.slice(16)}`);
    if (lower === 0n) return; // not representable as a Datadog trace id
    setter.set(carrier, TRACE_ID, lower.toString(10));
    setter.set(carrier, PARENT_ID, BigInt(`0x${spanContext.spanId}`).toString(10));
    const dd = parseDdTraceState(spanContext.traceState?.get('dd'));
    const sampled = (spanContext.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
    // Keep a user decision (2 / -1) when it agrees with our flag; otherwise the flag wins.
    const priority = dd.priority !== undefined && dd.priority > 0 === sampled ? dd.priority : sampled ? 1 : 0;
    setter.set(carrier, PRIORITY, String(priority));
    if (dd.origin) setter.set(carrier, ORIGIN, dd.origin);
    const upper = spanContext.traceId.slice(0, 16);
    if (upper !== '0000000000000000') setter.set(carrier, TAGS, `_dd.p.tid=${upper}`);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const lower = parseUint64(first(getter.get(carrier, TRACE_ID)));
    const spanId = parseUint64(first(getter.get(carrier, PARENT_ID)));
    if (lower === undefined || lower === 0n || spanId === undefined || spanId === 0n) return context;

    const upper = upperBitsFromTags(first(getter.get(carrier, TAGS))) ?? '0000000000000000';
    const priorityRaw = first(getter.get(carrier, PRIORITY));
    const priority = priorityRaw !== undefined && /^-?[0-9]{1,2}$/.test(priorityRaw.trim()) ? Number(priorityRaw.trim()) : undefined;
    // No priority means the upstream left the decision to us: keep the trace.
    const sampled = priority === undefined ? true : priority > 0;
    const origin = sanitizeOrigin(first(getter.get(carrier, ORIGIN)));

    const ddEntry = [priority !== undefined ? `s:${priority}` : undefined, origin ? `o:${origin}` : undefined].filter((p): p is string => p !== undefined).join(';');
    return trace.setSpanContext(context, {
      traceId: upper + hex16(lower),
      spanId: hex16(spanId),
      traceFlags: sampled ? TraceFlags.SAMPLED : TraceFlags.NONE,
      isRemote: true,
      traceState: ddEntry ? new TraceState().set('dd', ddEntry) : undefined,
    });
  }

  fields(): string[] {
    return this.injectHeaders ? [TRACE_ID, PARENT_ID, PRIORITY, ORIGIN, TAGS] : [];
  }
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function parseUint64(raw: string | undefined): bigint | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  if (!/^[0-9]{1,20}$/.test(text)) return undefined;
  const n = BigInt(text);
  return n <= UINT64_MAX ? n : undefined;
}

function hex16(n: bigint): string {
  return n.toString(16).padStart(16, '0');
}

function upperBitsFromTags(raw: string | undefined): string | undefined {
  if (raw === undefined || raw.length > MAX_TAGS_LENGTH) return undefined;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq < 0 || pair.slice(0, eq).trim() !== '_dd.p.tid') continue;
    const value = pair
      .slice(eq + 1)
      .trim()
      .toLowerCase();
    return /^[0-9a-f]{16}$/.test(value) ? value : undefined;
  }
  return undefined;
}

function sanitizeOrigin(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const text = raw.trim();
  // tracestate values may not contain , ; = or control characters.
  return /^[a-zA-Z0-9_.-]{1,64}$/.test(text) ? text : undefined;
}

/** The Datadog sampling priority a span context carries in its tracestate `dd` entry, if any. */
export function datadogPriorityOf(traceState: TraceStateLike | undefined): number | undefined {
  return parseDdTraceState(traceState?.get('dd')).priority;
}

/** `traceState` (or a new one) with its `dd` entry's priority set to `priority`, the origin kept. */
export function withDatadogPriority(traceState: TraceStateLike | undefined, priority: number): TraceStateLike {
  const { origin } = parseDdTraceState(traceState?.get('dd'));
  const entry = origin ? `s:${priority};o:${origin}` : `s:${priority}`;
  return (traceState ?? new TraceState()).set('dd', entry);
}

type TraceStateLike = NonNullable<SpanContext['traceState']>;

function parseDdTraceState(value: string | undefined): { priority?: number; origin?: string } {
  const out: { priority?: number; origin?: string } = {};
  if (!value) return out;
  for (const part of value.split(';')) {
    if (part.startsWith('s:') && /^-?[0-9]{1,2}$/.test(part.slice(2))) out.priority = Number(part.slice(2));
    else if (part.startsWith('o:')) out.origin = sanitizeOrigin(part.slice(2));
  }
  return out;
}
