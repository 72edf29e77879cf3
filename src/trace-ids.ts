/**
 * Trace ids in X-Ray format (AWSXRayIdGenerator: epoch second in the first
 * 32 bits) whose lower 64 bits also mean the same thing to both Datadog
 * conventions: the collector's datadog exporter takes the lower 64 bits, while
 * Datadog's Lambda libraries merge X-Ray traces on the lower 63 bits. Clearing
 * bit 63 of the lower half makes the two agree for every trace we start.
 */
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import type { IdGenerator } from '@opentelemetry/sdk-trace-base';

/** Index of the hex digit holding bit 63 of the lower 64 bits (big-endian). */
const LOWER_HALF_FIRST_HEX = 16;

// Hex digit -> the same digit with its top bit cleared ('8'..'f' -> '0'..'7').
const CLEARED: Record<string, string> = { '8': '0', '9': '1', a: '2', b: '3', c: '4', d: '5', e: '6', f: '7' };

export function clearLowerHalfTopBit(traceId: string): string {
  // On the span hot path: one lookup, and a copy only for the half of ids that need it.
  const cleared = CLEARED[traceId.charAt(LOWER_HALF_FIRST_HEX)];
  return cleared === undefined ? traceId : traceId.slice(0, LOWER_HALF_FIRST_HEX) + cleared + traceId.slice(LOWER_HALF_FIRST_HEX + 1);
}

export class XRayDatadogIdGenerator implements IdGenerator {
  private readonly xray = new AWSXRayIdGenerator();

  generateTraceId(): string {
    return clearLowerHalfTopBit(this.xray.generateTraceId());
  }

  generateSpanId(): string {
    return this.xray.generateSpanId();
  }
}

/** The 64-bit trace id Datadog shows for an OpenTelemetry trace id (decimal). */
export function datadogTraceId(traceId: string): string {
  return BigInt(`0x${traceId.slice(LOWER_HALF_FIRST_HEX)}`).toString(10);
}
