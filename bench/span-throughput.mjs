// Child of bench/run.mjs: spans/s for start+end of a span with 5 attributes, either through
// our pipeline (X-Ray ids, parent-based sampler, our span processors, batch processor, discarding exporter) or
// through the API's no-op tracer, or through the stock SDK defaults for reference. Prints one JSON line.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { context, trace } = require('@opentelemetry/api');
const mode = process.argv[2];
const N = Number(process.argv[3] ?? 1_000_000);

if (mode === 'sdk' || mode === 'stock') {
  const { AsyncLocalStorageContextManager } = require('@opentelemetry/context-async-hooks');
  const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
  const { XRayDatadogIdGenerator } = require(path.join(repo, 'dist', 'tracing', 'trace-ids.js'));
  const { createSampler } = require(path.join(repo, 'dist', 'tracing', 'sampler.js'));
  const { UrlQueryRedactor } = require(path.join(repo, 'dist', 'config', 'url-redaction.js'));
  const { DatadogNames } = require(path.join(repo, 'dist', 'datadog', 'span-names.js'));
  const discard = { export: (spans, cb) => cb({ code: 0 }), shutdown: async () => {} };
  // 'stock' is the SDK with its defaults (random ids): this machine's ceiling for the pipeline.
  const provider = new BasicTracerProvider({
    ...(mode === 'sdk' ? { idGenerator: new XRayDatadogIdGenerator(), sampler: createSampler({ name: 'parentbased_always_on', ratio: 1, explicit: false }) } : {}),
    spanProcessors: [
      ...(mode === 'sdk' ? [new UrlQueryRedactor(), new DatadogNames()] : []),
      new BatchSpanProcessor(discard, { maxQueueSize: 65536, maxExportBatchSize: 8192, scheduledDelayMillis: 100 }),
    ],
  });
  // As start() registers it (and sdk-trace-node's register() did): the context manager every span start asks.
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(provider);
}

const tracer = trace.getTracer('bench');
const attrs = { 'http.request.method': 'GET', 'url.path': '/orders', 'http.response.status_code': 200, 'server.address': 'localhost', 'app.flag': true };
const run = (n) => {
  for (let i = 0; i < n; i++) tracer.startSpan('op', { attributes: attrs }).end();
};
run(50_000); // warm up
const best = [];
for (let round = 0; round < 3; round++) {
  const t0 = process.hrtime.bigint();
  run(N);
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  best.push(N / s);
  await new Promise((r) => setTimeout(r, 150)); // let the batch timer drain the queue
}
console.log(JSON.stringify({ mode, spansPerSecond: Math.max(...best) }));
process.exit(0);
