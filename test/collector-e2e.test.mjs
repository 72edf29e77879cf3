// End to end: traced Node processes -> OTLP/HTTP -> the real collector built from
// collector-config/builder-config.yaml, running collector-config/collector.yaml ->
// datadog exporter -> a Datadog intake double that decodes the real payloads.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { collectorBinary, collectorEnv, shippedConfig, startCollector, validateConfig } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { cleanEnv, fixtures, registerCjs, registerEsm, runNode, startNode } from '../harness/processes.mjs';

let intake;
let collector;
before(async () => {
  collectorBinary(); // builds once per machine; reused from the cache afterwards
  intake = await startDatadogIntake();
  collector = await startCollector({ intakeUrl: intake.url });
});
after(async () => {
  await collector?.stop();
  await intake?.close();
});

const viaCollector = (extra) => cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, OTEL_BSP_SCHEDULE_DELAY: '50', ...extra });
const lower64 = (traceIdHex) => BigInt(`0x${traceIdHex.slice(16)}`);

test("Datadog sees one trace across two services, joined to the caller's X-Ray segment, with unified tags", async () => {
  const b = await startNode(['--import', registerEsm, path.join(fixtures, 'http-service.mjs')], {
    env: viaCollector({ OTEL_SERVICE_NAME: 'e2e-b', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=prod,service.version=2.0.0' }),
  });
  const a = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
    env: viaCollector({ DD_SERVICE: 'e2e-a', DD_ENV: 'prod', DD_VERSION: '1.2.3', DOWNSTREAM_URL: `http://127.0.0.1:${b.match[1]}/seen` }),
  });
  // The caller is an X-Ray segment (e.g. API Gateway): Root + Parent arrive in the header.
  const root = '5759e988bd862e3fe1be46a994272793';
  const segment = '53995c3f42cd8ad8';
  try {
    const res = await fetch(`http://127.0.0.1:${a.match[1]}/call`, { headers: { 'X-Amzn-Trace-Id': `Root=1-${root.slice(0, 8)}-${root.slice(8)};Parent=${segment};Sampled=1` } });
    assert.equal(res.status, 200);
    const spans = await intake.waitFor(
      () => {
        const mine = intake.spans().filter((s) => s.service === 'e2e-a' || s.service === 'e2e-b');
        return mine.length >= 3 ? mine : undefined;
      },
      30_000,
      'three spans of e2e-a/e2e-b',
    );

    const aServer = spans.find((s) => s.service === 'e2e-a' && s.meta['span.kind'] === 'server');
    const aClient = spans.find((s) => s.service === 'e2e-a' && s.meta['span.kind'] === 'client');
    const bServer = spans.find((s) => s.service === 'e2e-b' && s.meta['span.kind'] === 'server');
    assert.ok(aServer && aClient && bServer, JSON.stringify(spans.map((s) => [s.service, s.meta['span.kind']])));

    // Datadog's 64-bit trace id is the lower half of the X-Ray trace id; the full id stays in meta.
    for (const s of [aServer, aClient, bServer]) {
      assert.equal(s.traceID, lower64(root));
      assert.equal(s.meta['otel.trace_id'], root);
    }
    // Parent ids survive: the X-Ray segment -> A server -> A client -> B server.
    assert.equal(aServer.parentID, BigInt(`0x${segment}`));
    assert.equal(aClient.parentID, aServer.spanID);
    assert.equal(bServer.parentID, aClient.spanID);

    // env / service / version as Datadog files them.
    assert.equal(aServer.payloadEnv, 'prod');
    assert.equal(aServer.appVersion, '1.2.3');
    assert.equal(aServer.meta.env, 'prod');
    assert.equal(aServer.meta.version, '1.2.3');
    assert.equal(bServer.payloadEnv, 'prod');
    assert.equal(bServer.appVersion, '2.0.0');

    // Resource names: HTTP spans are named by method (no route is known to plain http).
    assert.match(aServer.resource, /^GET\b/);
    assert.match(aClient.resource, /^GET\b/);
    // The host is the OS hostname, as the Datadog Agent would report it.
    assert.equal(aServer.hostname, os.hostname());
  } finally {
    await a.stop();
    await b.stop();
  }
});

test('defaults reach Datadog: env none, service = Lambda function name', async () => {
  const r = await runNode(['--require', registerCjs, path.join(fixtures, 'one-span.cjs')], { env: viaCollector({ AWS_LAMBDA_FUNCTION_NAME: 'e2e-default-fn' }) });
  assert.equal(r.code, 0, r.stderr);
  const { traceId } = JSON.parse(r.stdout);
  const span = await intake.waitFor(() => intake.spans().find((s) => s.service === 'e2e-default-fn'), 30_000, 'the e2e-default-fn span');
  assert.equal(span.payloadEnv, 'none');
  assert.equal(span.meta.env, 'none');
  assert.equal(span.resource, 'work');
  assert.equal(span.traceID, lower64(traceId));
  // Our ids keep bit 63 of the lower half clear, so Datadog's Lambda (63-bit) and
  // collector (64-bit) conventions give the same id.
  assert.equal(span.traceID < 2n ** 63n, true);
});

test('APM stats arrive for the traced service, with env and version', async () => {
  const group = await intake.waitFor(() => intake.stats().find((g) => g.Service === 'e2e-a' && g.Env === 'prod' && g.SpanKind === 'server'), 60_000, 'APM stats for e2e-a');
  assert.equal(group.Version, '1.2.3');
  // e2e-a served exactly one request (the first test's /call).
  const servers = intake.stats().filter((g) => g.Service === 'e2e-a' && g.Env === 'prod' && g.SpanKind === 'server');
  assert.equal(
    servers.reduce((n, g) => n + Number(g.Hits), 0),
    1,
    'one request, one hit',
  );
  assert.equal(
    servers.reduce((n, g) => n + Number(g.TopLevelHits), 0),
    1,
    'server spans are top-level',
  );
});

test('the shipped collector config validates; a missing DD_API_KEY and a broken config are refused clearly', async () => {
  const good = await validateConfig([shippedConfig]);
  assert.equal(good.code, 0, good.output);

  const noKey = await validateConfig([shippedConfig], collectorEnv({ DD_API_KEY: '' }));
  assert.notEqual(noKey.code, 0);
  assert.match(noKey.output, /api\.key is not set/);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'otelcol-bad-'));
  const broken = path.join(dir, 'broken.yaml');
  fs.writeFileSync(broken, fs.readFileSync(shippedConfig, 'utf8').replace('exporters: [datadog]', 'exporters: [datadgo]'));
  const bad = await validateConfig([broken]);
  fs.rmSync(dir, { recursive: true, force: true });
  assert.notEqual(bad.code, 0);
  assert.match(bad.output, /datadgo/);
});

test('both OTLP encodings reach Datadog: http/protobuf (the default) and http/json', async () => {
  const traceIds = {};
  for (const [service, protocol] of [
    ['e2e-protobuf', undefined],
    ['e2e-json', 'http/json'],
  ]) {
    const r = await runNode(['--require', registerCjs, path.join(fixtures, 'one-span.cjs')], {
      env: viaCollector({ DD_SERVICE: service, ...(protocol ? { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol } : {}) }),
    });
    assert.equal(r.code, 0, r.stderr);
    traceIds[service] = JSON.parse(r.stdout).traceId;
  }
  for (const service of ['e2e-protobuf', 'e2e-json']) {
    const span = await intake.waitFor(() => intake.spans().find((s) => s.service === service), 30_000, `the ${service} span`);
    assert.equal(span.traceID, lower64(traceIds[service]));
  }
});
