// npm run demo: one request through a host service and a Lambda-style function,
// both traced by the preload, exported to the real collector (collector-config/
// collector.yaml), and printed as Datadog receives it from the collector's
// datadog exporter (a local intake double stands in for Datadog).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startCollector, collectorBinary } from '../../harness/collector.mjs';
import { startDatadogIntake } from '../../harness/datadog-intake.mjs';
import { cleanEnv, registerCjs, startNode } from '../../harness/processes.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const started = [];
const stopAll = async () => {
  for (const s of started.reverse()) await s.stop().catch(() => {});
};

try {
  console.log('building / reusing the collector (the first build takes several minutes)...');
  collectorBinary();
  const intake = await startDatadogIntake();
  started.push({ stop: () => intake.close() });
  const collector = await startCollector({ intakeUrl: intake.url });
  started.push(collector);
  console.log(`collector: OTLP on ${collector.otlpUrl}, datadog exporter -> intake double on ${intake.url}`);

  const common = { OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '100', DD_ENV: 'demo' };
  const orders = await startNode(['--require', registerCjs, path.join(here, 'function-url.cjs')], {
    env: cleanEnv({
      ...common,
      AWS_LAMBDA_FUNCTION_NAME: 'orders-fn',
      AWS_REGION: 'us-east-1',
      LAMBDA_TASK_ROOT: path.join(here, 'orders-fn'),
      _HANDLER: 'index.handler',
      // In Lambda there is no HTTP server in front of the handler; keep the
      // function-URL stand-in's own server out of the trace.
      OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http',
    }),
  });
  started.push(orders);
  const checkout = await startNode(['--require', registerCjs, path.join(here, 'checkout-service.cjs')], {
    env: cleanEnv({ ...common, DD_SERVICE: 'checkout', DD_VERSION: '1.4.0', ORDERS_URL: `http://127.0.0.1:${orders.match[1]}` }),
  });
  started.push(checkout);

  const res = await fetch(`http://127.0.0.1:${checkout.match[1]}/checkout`);
  console.log(`GET /checkout -> ${res.status} ${await res.text()}`);

  const spans = await intake.waitFor(
    () => {
      const all = intake.spans();
      return all.some((s) => s.service === 'orders-fn') && all.filter((s) => s.service === 'checkout').length >= 2 ? all : undefined;
    },
    30_000,
    'spans from checkout and orders-fn',
  );
  printTrace(spans);
  const stats = await intake.waitFor(() => intake.stats().filter((g) => g.Service === 'checkout' || g.Service === 'orders-fn').length >= 2 && intake.stats(), 40_000, 'APM stats');
  console.log('\nAPM stats received (per service / resource, as Datadog computes trace metrics):');
  for (const g of stats) console.log(`  service=${g.Service} env=${g.Env} resource=${g.Resource} kind=${g.SpanKind} hits=${g.Hits} errors=${g.Errors}`);
} catch (error) {
  console.error(`demo failed: ${error.stack ?? error}`);
  process.exitCode = 1;
} finally {
  await stopAll();
}

function printTrace(spans) {
  const byTrace = new Map();
  for (const s of spans) byTrace.set(s.traceID, [...(byTrace.get(s.traceID) ?? []), s]);
  for (const [traceId, members] of byTrace) {
    console.log(`\nDatadog trace ${traceId} (otel.trace_id ${members[0].meta['otel.trace_id']}):`);
    const children = (id) => members.filter((s) => s.parentID === id).sort((a, b) => (a.start < b.start ? -1 : 1));
    const ids = new Set(members.map((s) => s.spanID));
    const roots = members.filter((s) => !ids.has(s.parentID));
    const print = (s, depth) => {
      console.log(
        `${'  '.repeat(depth + 1)}- service=${s.service} env=${s.payloadEnv} version=${s.appVersion || '-'} name=${s.name} resource="${s.resource}" span_id=${s.spanID} parent_id=${s.parentID ?? 0}`,
      );
      for (const c of children(s.spanID)) print(c, depth + 1);
    };
    for (const r of roots) print(r, 0);
  }
}
