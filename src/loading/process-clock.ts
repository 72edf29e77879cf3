/**
 * The `performance` of our bundles (scripts/bundle.mjs injects it for the
 * global): what the OpenTelemetry packages and our own code read of it, `now()`
 * and `timeOrigin`, on the process's own clock. Node's global `performance`
 * loads and compiles nine internal modules at its first use, which nothing else
 * in a Lambda function loads: ~2 ms of every cold start there, where the
 * managed runtime's --expose-gc makes V8 compile Node's built-ins from source
 * (measured on Node 22 and 24). The same clock: milliseconds since the process
 * started, monotonic, with timeOrigin the process start in epoch milliseconds.
 * One instance per process, shared by stage 1, stage 2 and every chunk, so
 * times taken in one and read in another agree.
 */
interface ProcessClock {
  readonly timeOrigin: number;
  now(): number;
}

const KEY = Symbol.for('otel-xray-datadog.process-clock');

function processClock(): ProcessClock {
  const now = (): number => process.uptime() * 1000;
  return { timeOrigin: Date.now() - now(), now };
}

const globals = globalThis as Record<symbol, ProcessClock | undefined>;
export const performance: ProcessClock = (globals[KEY] ??= processClock());
