// The process clock our bundles use for the global `performance` (src/loading/process-clock.ts,
// injected by scripts/bundle.mjs): Node's clock read without loading Node's performance modules,
// and the SDK's span times with it as they are with Node's.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { performance as clock } from '../../../dist/loading/process-clock.js';
import { repoRoot } from '../../../harness/processes.mjs';

test("reads Node's clock: the same origin and time as performance, monotonic, one instance per process", async () => {
  assert.ok(Math.abs(clock.timeOrigin - performance.timeOrigin) < 2, `${clock.timeOrigin} against ${performance.timeOrigin}`);
  let last = clock.now();
  for (let i = 0; i < 1000; i++) {
    const now = clock.now();
    assert.ok(now >= last);
    last = now;
  }
  assert.ok(Math.abs(clock.now() - performance.now()) < 1);
  assert.ok(Math.abs(clock.timeOrigin + clock.now() - Date.now()) < 2);
  const again = await import(`../../../dist/loading/process-clock.js?second=${Date.now()}`);
  assert.equal(again.performance, clock, 'a second copy of the module (another bundle) shares the instance');
});

test("in a bundle: the SDK's spans carry the wall-clock times they had with Node's performance, and Node's performance modules are never loaded", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'process-clock-'));
  try {
    const entry = path.join(dir, 'entry.js');
    fs.writeFileSync(
      entry,
      `const { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } = require('@opentelemetry/sdk-trace-base');
       const { hrTimeToMilliseconds } = require('@opentelemetry/core');
       const exporter = new InMemorySpanExporter();
       const tracer = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }).getTracer('t');
       const before = Date.now();
       const span = tracer.startSpan('s');
       const wait = Date.now() + 20;
       while (Date.now() < wait);
       span.end();
       const after = Date.now();
       const [done] = exporter.getFinishedSpans();
       console.log(JSON.stringify({ before, after, start: hrTimeToMilliseconds(done.startTime), end: hrTimeToMilliseconds(done.endTime), perf: process.moduleLoadList.filter((m) => m === 'NativeModule perf_hooks' || m === 'NativeModule internal/perf/performance') }));`,
    );
    await build({
      entryPoints: [entry],
      outfile: path.join(dir, 'out.js'),
      bundle: true,
      platform: 'node',
      format: 'cjs',
      mainFields: ['module', 'main'],
      nodePaths: [path.join(repoRoot, 'node_modules')],
      inject: [path.join(repoRoot, 'src', 'loading', 'process-clock.ts')],
      logLevel: 'error',
    });
    const out = JSON.parse(execFileSync(process.execPath, [path.join(dir, 'out.js')], { encoding: 'utf8' }));
    assert.deepEqual(out.perf, []);
    assert.ok(out.start >= out.before - 1 && out.start <= out.before + 2, `start ${out.start}, before ${out.before}`);
    assert.ok(out.end >= out.after - 2 && out.end <= out.after + 1, `end ${out.end}, after ${out.after}`);
    assert.ok(out.end - out.start >= 19, `duration ${out.end - out.start}`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
