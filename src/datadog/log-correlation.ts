/**
 * Datadog links a log to its trace by `dd.trace_id` / `dd.span_id` in decimal
 * 64-bit form (what dd-trace writes), and to the service by `dd.service`,
 * `dd.env`, `dd.version`. The pino and winston instrumentations call this for
 * every record written inside a span, next to the OpenTelemetry hex ids.
 */
import type { Span } from '@opentelemetry/api';
import { datadogTraceId } from '../tracing/trace-ids';

export interface LogCorrelation {
  service: string;
  env: string;
  version: string | undefined;
}

export function logCorrelationHook({ service, env, version }: LogCorrelation): (span: Span, record: Record<string, unknown>) => void {
  return (span, record) => {
    const { traceId, spanId } = span.spanContext();
    const dd: Record<string, string> = {
      trace_id: datadogTraceId(traceId),
      span_id: BigInt(`0x${spanId}`).toString(10),
      service,
      env,
    };
    if (version !== undefined) dd.version = version;
    record.dd = dd;
  };
}
