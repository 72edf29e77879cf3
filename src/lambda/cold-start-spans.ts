/**
 * The cold start as Datadog's Lambda library draws it, on the first
 * invocation of a sandbox (OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE=true): an
 * `aws.lambda.load` span from the process start to the first invocation,
 * under the invocation span, with one `aws.lambda.require` span for each
 * module whose load took at least OTEL_XRAY_DD_LAMBDA_COLD_START_MIN_MS,
 * nested as the modules required each other (a short load's slow children
 * move up to its nearest drawn ancestor).
 */
import { trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { LoadRecord } from '../loading/cold-start-recorder';

/** At most this many require spans per cold start: the slowest are kept. */
const MAX_REQUIRE_SPANS = 200;

const epochMs = (now: number): number => performance.timeOrigin + now;

export function drawColdStart(tracer: Tracer, parent: Context, functionName: string, records: readonly LoadRecord[], minMs: number, loadEnd = performance.now()): void {
  const load = tracer.startSpan(
    'aws.lambda.load',
    { startTime: performance.timeOrigin, attributes: { 'operation.name': 'aws.lambda.load', 'resource.name': functionName } },
    parent,
  );
  const slow = new Set<number>();
  records
    .map((record, index) => ({ index, ms: record.end - record.start }))
    .filter(({ ms, index }) => ms >= minMs && Number.isFinite(records[index]!.end))
    .sort((a, b) => b.ms - a.ms)
    .slice(0, MAX_REQUIRE_SPANS)
    .forEach(({ index }) => slow.add(index));
  const spans = new Map<number, Span>();
  const contextOf = (index: number): Context => {
    // The nearest drawn ancestor, else the load span.
    for (let up = records[index]!.parent; up !== -1; up = records[up]!.parent) if (slow.has(up)) return trace.setSpan(parent, spanOf(up));
    return trace.setSpan(parent, load);
  };
  const spanOf = (index: number): Span => {
    let span = spans.get(index);
    if (span === undefined) {
      const record = records[index]!;
      span = tracer.startSpan(
        'aws.lambda.require',
        { startTime: epochMs(record.start), attributes: { 'operation.name': 'aws.lambda.require', 'resource.name': record.request } },
        contextOf(index),
      );
      spans.set(index, span);
    }
    return span;
  };
  for (const index of [...slow].sort((a, b) => a - b)) spanOf(index).end(epochMs(records[index]!.end));
  load.end(epochMs(loadEnd));
}
