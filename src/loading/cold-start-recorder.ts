/**
 * With OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE=true, records how long each
 * module load of the Lambda init takes (Module._load: every require, and the
 * CommonJS files behind an import), from the preload on, so the first
 * invocation can draw the cold start as spans (lambda/cold-start-spans.ts).
 * Off, nothing of this runs. Recording stops at the first invocation; the
 * records are bounded.
 */

/* eslint-disable @typescript-eslint/no-require-imports -- Module._load is reached through require('node:module') */

type ModuleLoad = (request: unknown, parent: unknown, isMain: boolean) => unknown;

export interface LoadRecord {
  request: string;
  /** performance.now() at start and end. */
  start: number;
  end: number;
  /** Index of the load that required this one, or -1. */
  parent: number;
}

export interface ColdStartRecording {
  readonly records: readonly LoadRecord[];
  /** Stops recording (later loads pass straight through) and returns what was recorded. */
  stop(): readonly LoadRecord[];
}

export const COLD_START_RECORDING = Symbol.for('otel-xray-datadog.cold-start-recording');
const MAX_RECORDS = 20_000;

export function recordModuleLoads(): void {
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[COLD_START_RECORDING] !== undefined) return;
  const moduleApi = require('node:module') as { _load: ModuleLoad };
  const original = moduleApi._load;
  const records: LoadRecord[] = [];
  const stack: number[] = [];
  let recording = true;
  moduleApi._load = function (this: unknown, request, parent, isMain) {
    if (!recording || records.length >= MAX_RECORDS) return original.call(this, request, parent, isMain);
    const index = records.push({ request: String(request), start: performance.now(), end: Number.NaN, parent: stack.at(-1) ?? -1 }) - 1;
    stack.push(index);
    try {
      return original.call(this, request, parent, isMain);
    } finally {
      stack.pop();
      records[index]!.end = performance.now();
    }
  };
  const recordingApi: ColdStartRecording = {
    records,
    stop() {
      recording = false;
      return records;
    },
  };
  globals[COLD_START_RECORDING] = recordingApi;
}

export function coldStartRecording(): ColdStartRecording | undefined {
  return (globalThis as Record<symbol, unknown>)[COLD_START_RECORDING] as ColdStartRecording | undefined;
}
