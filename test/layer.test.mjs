// The Lambda layer as Lambda uses it: the zip unpacked into an /opt-like directory,
// AWS_LAMBDA_EXEC_WRAPPER-style exec wrapper in front of the runtime, no NODE_OPTIONS of ours.
// node-matrix: 22 24
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { startCollector } from '../harness/collector.mjs';
import { startDatadogIntake } from '../harness/datadog-intake.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, startNode } from '../harness/processes.mjs';
import { bootstrapNodeArgs, unpackLayer } from '../harness/lambda-sandbox.mjs';
import { INSTRUMENTATION_CATALOG } from '../dist/loading/instrumentation-catalog.js';

let opt;
let receiver;
before(async () => {
  opt = unpackLayer();
  receiver = await startOtlpReceiver();
});
after(async () => {
  await receiver.close();
  fs.rmSync(opt, { recursive: true, force: true });
});

/** Runs `<opt>/otel-xray-datadog-handler node <script>` as the Lambda runtime would be started. */
function viaWrapper(script, env) {
  return new Promise((resolve, reject) => {
    const child = spawn(path.join(opt, 'otel-xray-datadog-handler'), [process.execPath, script], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

/** How long the runtime fixture stands still after each invocation, as a frozen sandbox. */
const FREEZE_MS = 500;

const lambdaEnv = (fn, dir, extra = {}) =>
  cleanEnv({
    AWS_LAMBDA_FUNCTION_NAME: fn,
    AWS_REGION: 'us-east-1',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
    LAMBDA_TASK_ROOT: path.join(fixtures, 'lambda', dir),
    _HANDLER: 'index.handler',
    ...extra,
  });

test('the layer zip has the layout Lambda expects, with an executable wrapper', () => {
  assert.ok(fs.statSync(path.join(opt, 'otel-xray-datadog-handler')).mode & 0o111, 'wrapper is executable');
  for (const f of ['otel-xray-datadog/register.js', 'otel-xray-datadog/node_modules/import-in-the-middle/hook.mjs']) {
    assert.ok(fs.existsSync(path.join(opt, f)), `${f} in the layer`);
  }
});

/** What V8 makes of each cache file the loader picks (dist/loading/stage-two.js cacheFileFor) in a Node started with `flags`. */
function cacheVerdicts(flags) {
  const dir = path.join(opt, 'otel-xray-datadog');
  const files = ['lambda.js', ...fs.readdirSync(path.join(dir, 'instrumentations')).map((f) => `instrumentations/${f}`)].filter((f) => f.endsWith('.js'));
  // lambda.js (the preload with stage 2 inside) and one chunk per instrumentation package of the catalog.
  assert.equal(
    files.length,
    1 +
      new Set(
        Object.values(INSTRUMENTATION_CATALOG)
          .map((entry) => entry.package)
          .filter(Boolean),
      ).size,
  );
  const check = `
    const fs = require('node:fs'), vm = require('node:vm'), Module = require('node:module'), path = require('node:path');
    const { cacheFileFor } = require(${JSON.stringify(path.join(repoRoot, 'dist', 'loading', 'stage-two.js'))});
    const out = {};
    for (const file of ${JSON.stringify(files)}) {
      const full = path.join(${JSON.stringify(dir)}, file);
      const cache = cacheFileFor(full);
      out[file] = !fs.existsSync(cache) ? 'missing' : new vm.Script(Module.wrap(fs.readFileSync(full, 'utf8')), { filename: full, cachedData: fs.readFileSync(cache) }).cachedDataRejected ? 'rejected' : 'accepted';
    }
    console.log(JSON.stringify(out));`;
  return { files, verdicts: JSON.parse(execFileSync(process.execPath, [...flags, '-e', check], { encoding: 'utf8', env: cleanEnv() })) };
}

// V8 accepts a cache only under the V8 flags it was written with: --expose-gc, which the managed
// runtimes' bootstrap passes to every sandbox, and before V8 13 (Node 20, 22) the heap sizes it
// derives from the function's memory size, for which the layer has the caches of lambda.js and the
// AWS SDK chunk (the one most functions load) per common size.
const PER_MEMORY_SIZE = ['lambda.js', 'instrumentations/instrumentation-aws-sdk.js'];
for (const memorySize of [128, 1024]) {
  test(`the layer's code caches are accepted by V8 under the managed runtime's flags for ${memorySize} MB (lambda.js and the AWS SDK chunk; every chunk on Node 24)`, () => {
    const { files, verdicts } = cacheVerdicts(bootstrapNodeArgs(memorySize));
    const chunks = Number(process.versions.node.split('.')[0]) >= 24 ? 'accepted' : 'missing';
    assert.deepEqual(
      verdicts,
      Object.fromEntries(files.map((f) => [f, PER_MEMORY_SIZE.includes(f) ? 'accepted' : chunks])),
      'V8 would compile these from scratch in every new sandbox',
    );
  });
}

test("the layer's code caches are accepted by V8 in a runtime started with --expose-gc and no heap sizes (lambda.js and every chunk)", () => {
  const { files, verdicts } = cacheVerdicts(['--expose-gc']);
  assert.deepEqual(verdicts, Object.fromEntries(files.map((f) => [f, 'accepted'])));
});

test('in a Lambda init the layer compiles one bundle, lambda.js, from its code cache, which V8 accepts', () => {
  // What each vm.Script the layer makes was given, recorded before the layer's register.js runs.
  const spy = path.join(opt, 'script-spy.cjs');
  fs.writeFileSync(
    spy,
    `const vm = require('node:vm');
    const Script = vm.Script;
    globalThis.compiled = [];
    vm.Script = class extends Script {
      constructor(source, options) {
        super(source, options);
        globalThis.compiled.push({ file: require('node:path').basename(options.filename), cached: options.cachedData !== undefined, rejected: this.cachedDataRejected === true });
      }
    };`,
  );
  const out = execFileSync(
    process.execPath,
    [...bootstrapNodeArgs(128), '--require', spy, '--require', path.join(opt, 'otel-xray-datadog', 'register.js'), '-e', 'console.log(JSON.stringify(globalThis.compiled))'],
    { encoding: 'utf8', env: lambdaEnv('layer-cache', 'cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }) },
  );
  assert.deepEqual(JSON.parse(out.trim().split('\n').at(-1)), [{ file: 'lambda.js', cached: true, rejected: false }]);
});

test('OTEL_SDK_DISABLED=true: the layer reads its bundle but starts nothing of stage 2 (no tracer provider, context manager or propagator; no diagnostics)', () => {
  // What the OpenTelemetry API holds globally: the preload's diagnostics logger always, stage 2's registrations once tracing starts.
  const probe = "process.stdout.write(Object.keys(globalThis[Symbol.for('opentelemetry.js.api.1')] ?? {}).sort().join(','))";
  const run = (extra) => {
    const r = spawnSync(process.execPath, [...bootstrapNodeArgs(128), '--require', path.join(opt, 'otel-xray-datadog', 'register.js'), '-e', probe], {
      encoding: 'utf8',
      env: lambdaEnv('layer-disabled', 'cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, ...extra }),
    });
    return [r.status, r.stdout, r.stderr];
  };
  assert.deepEqual(run({ OTEL_SDK_DISABLED: 'true' }), [0, 'diag,version', '']);
  assert.deepEqual(run({}), [0, 'context,diag,propagation,trace,version', ''], 'the probe sees stage 2 where tracing starts');
});

for (const dir of ['cjs', 'esm']) {
  test(`exec wrapper + bundled preload trace a ${dir} handler joined to the X-Ray segment`, async () => {
    const fn = `layer-${dir}`;
    const r = await viaWrapper(
      path.join(fixtures, 'lambda-runtime.mjs'),
      lambdaEnv(fn, dir, {
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        FREEZE_AFTER_INVOCATION_MS: String(FREEZE_MS),
        INVOCATIONS: JSON.stringify([{ event: {}, traceHeader: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1' }]),
      }),
    );
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '', 'no diagnostics on a healthy cold start');
    const line = JSON.parse(r.stdout.trim());
    const span = receiver.spans.find((s) => s.resource['service.name'] === fn);
    assert.ok(span, 'invocation span exported');
    assert.equal(span.traceId, '5759e988bd862e3fe1be46a994272793');
    assert.equal(span.parentSpanId, '53995c3f42cd8ad8');
    assert.equal(span.attributes['faas.coldstart'], true);
    assert.ok(span.receivedAt <= line.resolvedAt + FREEZE_MS, 'arrived while the sandbox was frozen: written before the invocation returned');
  });
}

test('host service -> Lambda function (layer) is one Datadog trace with one env, through the real collector', async () => {
  const intake = await startDatadogIntake();
  const collector = await startCollector({ intakeUrl: intake.url });
  const started = [];
  try {
    const fnProc = spawn(path.join(opt, 'otel-xray-datadog-handler'), [process.execPath, path.join(repoRoot, 'examples', 'demo', 'function-url.cjs')], {
      env: lambdaEnv('joined-fn', 'cjs', { OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl, DD_ENV: 'shared', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'http' }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let fnStderr = '';
    fnProc.stderr.on('data', (d) => (fnStderr += d));
    started.push(
      () =>
        new Promise((r) => {
          fnProc.once('close', r);
          fnProc.kill('SIGTERM');
        }),
    );
    const fnPort = await new Promise((resolve, reject) => {
      let out = '';
      fnProc.stdout.on('data', (d) => {
        out += d;
        const m = out.match(/listening on (\d+)/);
        if (m) resolve(m[1]);
      });
      fnProc.on('close', (code) => reject(new Error(`function exited ${code}`)));
    });
    const host = await startNode(['--require', registerCjs, path.join(fixtures, 'http-service.cjs')], {
      env: cleanEnv({
        OTEL_EXPORTER_OTLP_ENDPOINT: collector.otlpUrl,
        OTEL_BSP_SCHEDULE_DELAY: '50',
        DD_SERVICE: 'joined-host',
        DD_ENV: 'shared',
        DOWNSTREAM_URL: `http://127.0.0.1:${fnPort}/orders`,
      }),
    });
    started.push(() => host.stop());
    assert.equal((await fetch(`http://127.0.0.1:${host.match[1]}/call`)).status, 200);

    const spans = await intake
      .waitFor(
        () => {
          const all = intake.spans();
          const fnSpan = all.find((s) => s.service === 'joined-fn');
          const client = all.find((s) => s.service === 'joined-host' && s.meta['span.kind'] === 'client');
          return fnSpan && client ? { fnSpan, client } : undefined;
        },
        30_000,
        'host client span and function span',
      )
      .catch((e) => {
        throw new Error(`${e.message}; spans: ${JSON.stringify(intake.spans().map((s) => [s.service, s.name, s.resource]))}; function stderr: ${fnStderr}`);
      });
    assert.equal(spans.fnSpan.traceID, spans.client.traceID, 'one Datadog trace id');
    assert.equal(spans.fnSpan.parentID, spans.client.spanID, "the invocation is a child of the host's client span");
    assert.equal(spans.fnSpan.payloadEnv, 'shared');
    assert.equal(spans.client.payloadEnv, 'shared');
  } finally {
    for (const stop of started.reverse()) await stop();
    await collector.stop();
    await intake.close();
  }
});
