// Lambda function tags as trace dimensions (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS=true).
// In-process: the resolved config's defaults, the tag -> attribute mapping and precedence,
// the late resource, the fetch's failure modes (import from dist/: `npm run build` first).
// Real parts: moto (python3 -m moto.server) as the Lambda API, the real @aws-sdk/client-lambda,
// traced Lambda "sandboxes" (test/fixtures/lambda-runtime.mjs with the preload) exporting to a
// local OTLP receiver; a local HTTP server of ours plays a denied, throttled or hanging Lambda API.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import http from 'node:http';
import path from 'node:path';
import { createRole, startMoto } from './support/moto.mjs';
import { startOtlpReceiver } from './support/otlp-receiver.mjs';
import { cleanEnv, fixtures, registerCjs, repoRoot, runNode } from './support/processes.mjs';

const require = createRequire(import.meta.url);
const { resolveConfig } = require('../dist/config.js');
const { functionTagAttributes, applyTagAttributes, fetchFunctionTags, withFunctionTags, MAX_TAGS_WAIT_MS } = require('../dist/function-tags.js');
const { resourceFromAttributes } = require('@opentelemetry/resources');
const { diag, DiagLogLevel } = require('@opentelemetry/api');

// ---------------------------------------------------------------------------
// In-process: configuration, mapping, precedence
// ---------------------------------------------------------------------------

const noPackage = () => undefined;
const lambdaEnv = { AWS_LAMBDA_FUNCTION_NAME: 'orders-fn', AWS_REGION: 'us-east-1' };
const FUNCTION_TAGS = {
  env: 'staging',
  service: 'orders-api',
  version: '2.3.1',
  team: 'payments',
  'aws:cloudformation:stack-name': 'orders-stack',
};

test('config: which unified tags came from a default; the opt-in flag', () => {
  const defaults = resolveConfig(lambdaEnv, {}, noPackage);
  assert.deepEqual(defaults.defaulted, { service: true, env: true, version: true });
  assert.equal(defaults.service, 'orders-fn');
  assert.equal(defaults.env, 'none');
  assert.equal(defaults.lambda.fetchTags, false, 'off unless asked for');

  for (const [env, options, expected] of [
    [{ DD_ENV: 'prod' }, {}, { service: true, env: false, version: true }],
    [{ DD_SERVICE: 'svc' }, {}, { service: false, env: true, version: true }],
    [{ OTEL_SERVICE_NAME: 'svc', DD_VERSION: '1' }, {}, { service: false, env: true, version: false }],
    [{ DD_TAGS: 'env:qa,version:3' }, {}, { service: true, env: false, version: false }],
    [{ OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=qa,service.name=x' }, {}, { service: false, env: false, version: true }],
    [{}, { serviceName: 'opt', env: 'opt', version: 'opt' }, { service: false, env: false, version: false }],
  ]) {
    assert.deepEqual(resolveConfig({ ...lambdaEnv, ...env }, options, noPackage).defaulted, expected, JSON.stringify({ env, options }));
  }
  // Outside Lambda the package.json name is a default too.
  assert.equal(resolveConfig({}, {}, () => 'my-app').defaulted.service, true);

  assert.equal(resolveConfig({ ...lambdaEnv, OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'true' }, {}, noPackage).lambda.fetchTags, true);
  const bad = resolveConfig({ ...lambdaEnv, OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'yes please' }, {}, noPackage);
  assert.equal(bad.lambda.fetchTags, false);
  assert.equal(bad.warnings.length, 1);
  assert.match(bad.warnings[0], /^OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: .* using false/);
});

test('mapping: env/service/version replace defaults only; other tags become attributes; aws:* tags are skipped', () => {
  const all = { service: true, env: true, version: true };
  assert.deepEqual(functionTagAttributes(FUNCTION_TAGS, all), {
    overrides: {
      'deployment.environment.name': 'staging',
      'deployment.environment': 'staging',
      'service.name': 'orders-api',
      'service.version': '2.3.1',
    },
    additions: { team: 'payments' },
  });
  // Explicit values are not replaced.
  assert.deepEqual(functionTagAttributes(FUNCTION_TAGS, { service: false, env: false, version: false }).overrides, {});
  assert.deepEqual(functionTagAttributes(FUNCTION_TAGS, { service: true, env: false, version: false }).overrides, { 'service.name': 'orders-api' });
  // Datadog lower-cases tag keys; the resource keys of the unified tags are set only through env/service/version;
  // empty values and AWS's tags (any case) are dropped.
  assert.deepEqual(
    functionTagAttributes({ Env: ' qa ', 'service.name': 'sneaky', 'deployment.environment': 'sneaky', owner: '', 'AWS:x': 'y', 'cost-center': '42' }, all),
    { overrides: { 'deployment.environment.name': 'qa', 'deployment.environment': 'qa' }, additions: { 'cost-center': '42' } },
  );
});

test('precedence: options and DD_*/OTEL_* variables over function tags over defaults; detected attributes stay', () => {
  const resourceFor = (env, options = {}) => {
    const config = resolveConfig({ ...lambdaEnv, ...env }, options, noPackage);
    const base = resourceFromAttributes({
      ...config.extraResourceAttributes,
      'service.name': config.service,
      'deployment.environment.name': config.env,
      'deployment.environment': config.env,
      ...(config.version === undefined ? {} : { 'service.version': config.version }),
      'faas.name': 'orders-fn',
    });
    return applyTagAttributes(base, functionTagAttributes({ ...FUNCTION_TAGS, 'faas.name': 'renamed' }, config.defaulted)).attributes;
  };

  const fromTags = resourceFor({});
  assert.equal(fromTags['service.name'], 'orders-api');
  assert.equal(fromTags['deployment.environment.name'], 'staging');
  assert.equal(fromTags['deployment.environment'], 'staging');
  assert.equal(fromTags['service.version'], '2.3.1');
  assert.equal(fromTags.team, 'payments');
  assert.equal(fromTags['faas.name'], 'orders-fn', 'a tag never replaces an attribute the resource already has');
  assert.equal(fromTags['aws:cloudformation:stack-name'], undefined);

  const explicit = resourceFor({ DD_ENV: 'prod', DD_TAGS: 'team:core', OTEL_RESOURCE_ATTRIBUTES: 'service.version=9' });
  assert.equal(explicit['deployment.environment.name'], 'prod', 'DD_ENV beats the env tag');
  assert.equal(explicit['deployment.environment'], 'prod');
  assert.equal(explicit['service.name'], 'orders-api', 'service still from the tag (it was a default)');
  assert.equal(explicit['service.version'], '9', 'OTEL_RESOURCE_ATTRIBUTES beats the version tag');
  assert.equal(explicit.team, 'core', 'DD_TAGS beats the function tag of the same key');

  assert.equal(resourceFor({}, { serviceName: 'from-options' })['service.name'], 'from-options');
});

// A stand-in for @aws-sdk/client-lambda: `send` behaves as told.
function fakeSdk(send) {
  const calls = [];
  return {
    calls,
    load: () => ({
      GetFunctionCommand: class {
        constructor(input) {
          this.input = input;
        }
      },
      LambdaClient: class {
        constructor(config) {
          calls.push({ config });
        }
        send(command, options) {
          calls.at(-1).input = command.input;
          calls.at(-1).signal = options?.abortSignal;
          return send(command, options);
        }
        destroy() {
          calls.at(-1).destroyed = true;
        }
      },
    }),
  };
}

/** Captures our diagnostics at every level for the duration of fn. */
async function captureDiag(fn) {
  const lines = [];
  const logger = Object.fromEntries(['error', 'warn', 'info', 'debug', 'verbose'].map((level) => [level, (message) => lines.push({ level, message })]));
  diag.setLogger(logger, { logLevel: DiagLogLevel.ALL, suppressOverrideMessage: true });
  try {
    return { result: await fn(), lines: lines.filter((l) => l.message.startsWith('otel-xray-datadog:')) };
  } finally {
    diag.disable();
  }
}

test('late resource: pending until the tags arrive, then carries them; the SDK is asked once with the function name', async () => {
  const config = resolveConfig({ ...lambdaEnv, OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'true' }, {}, noPackage);
  let answer;
  const sdk = fakeSdk(() => new Promise((resolve) => (answer = resolve)));
  const base = resourceFromAttributes({ 'service.name': 'orders-fn', 'deployment.environment.name': 'none', 'faas.name': 'orders-fn' });
  const { lines } = await captureDiag(async () => {
    const resource = withFunctionTags(base, config, sdk.load);
    assert.equal(resource.asyncAttributesPending, true);
    const merged = resource.merge(resourceFromAttributes({ extra: 'x' }));
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(sdk.calls.map((c) => [c.config, c.input]), [[{ region: 'us-east-1', maxAttempts: 1 }, { FunctionName: 'orders-fn' }]]);
    answer({ Tags: FUNCTION_TAGS, Configuration: {} });
    await resource.waitForAsyncAttributes();
    assert.equal(resource.asyncAttributesPending, false);
    assert.equal(resource.attributes['service.name'], 'orders-api');
    assert.equal(resource.attributes['deployment.environment.name'], 'staging');
    assert.equal(resource.attributes.team, 'payments');
    assert.equal(resource.attributes['faas.name'], 'orders-fn');
    await merged.waitForAsyncAttributes();
    assert.equal(merged.attributes.team, 'payments', 'a resource merged while pending gets the tags too');
    assert.equal(merged.attributes.extra, 'x');
    assert.equal(sdk.calls[0].destroyed, true, 'the client is closed after its one call');
  });
  assert.deepEqual(lines.map((l) => l.level), ['debug', 'debug', 'debug', 'debug']);
  assert.match(lines[0].message, /function tags read: env, service, version, team/);
  // The start-up report's lines for what the tags replaced, now that they are known.
  assert.deepEqual(lines.slice(1).map((l) => l.message.replace('otel-xray-datadog: ', '')), [
    'setting service = orders-api (function tag service)',
    'setting env = staging (function tag env)',
    'setting version = 2.3.1 (function tag version)',
  ]);
});

test('fetch failures: fallback, bounded, never rejects, at most one line (a warning only when the user must act)', async () => {
  const awsError = (name, status) => Object.assign(new Error(`${name} from the API`), { name, $metadata: { httpStatusCode: status } });
  const cases = [
    { what: 'AccessDenied', send: () => Promise.reject(awsError('AccessDeniedException', 403)), level: 'warn', line: /lambda:GetFunction on orders-fn \(AccessDeniedException/ },
    { what: 'bare 403', send: () => Promise.reject(awsError('UnknownError', 403)), level: 'warn', line: /lambda:GetFunction/ },
    { what: 'throttled', send: () => Promise.reject(awsError('TooManyRequestsException', 429)), level: 'debug', line: /not read \(TooManyRequestsException/ },
    { what: 'not found', send: () => Promise.reject(awsError('ResourceNotFoundException', 404)), level: 'debug', line: /ResourceNotFoundException/ },
    { what: 'send throws', send: () => { throw new TypeError('boom'); }, level: 'debug', line: /TypeError: boom/ },
    { what: 'hangs', send: () => new Promise(() => {}), level: 'debug', line: /not read within 50 ms/ },
    { what: 'no tags in the answer', send: () => Promise.resolve({ Configuration: {} }), level: 'debug', line: /function tags read: \(none\)/, tags: {} },
    {
      what: 'SDK missing',
      load: () => { throw Object.assign(new Error("Cannot find module '@aws-sdk/client-lambda'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' }); },
      level: 'warn',
      line: /@aws-sdk\/client-lambda could not be loaded \(Cannot find module '@aws-sdk\/client-lambda'\); function tags are not read/,
    },
  ];
  for (const c of cases) {
    const sdk = fakeSdk(c.send ?? (() => Promise.resolve({})));
    const started = Date.now();
    const { result, lines } = await captureDiag(() => fetchFunctionTags({ functionName: 'orders-fn', region: 'us-east-1', timeoutMs: 50, loadSdk: c.load ?? sdk.load }));
    assert.deepEqual(result, c.tags, `${c.what}: falls back`);
    assert.ok(Date.now() - started < 1000, `${c.what}: bounded`);
    assert.equal(lines.length, 1, `${c.what}: one line, got ${JSON.stringify(lines)}`);
    assert.equal(lines[0].level, c.level, c.what);
    assert.match(lines[0].message, c.line, c.what);
    if (c.what === 'hangs') assert.equal(sdk.calls[0].signal.aborted, true, 'the request is aborted at the bound');
  }
  // The bound leaves half of the Lambda flush budget to the export, and never exceeds 1 s.
  assert.equal(MAX_TAGS_WAIT_MS, 1000);
});

// ---------------------------------------------------------------------------
// Real parts: moto as the Lambda API, traced Lambda sandboxes, an OTLP receiver
// ---------------------------------------------------------------------------

const FN = 'orders-fn';
let receiver;
let moto;

before(async () => {
  receiver = await startOtlpReceiver();
  moto = await startMoto();
  const roleArn = await createRole(moto.url, 'orders-fn-role');
  const { LambdaClient, CreateFunctionCommand } = require('@aws-sdk/client-lambda');
  const client = new LambdaClient({ region: 'us-east-1', endpoint: moto.url, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  await client.send(
    new CreateFunctionCommand({
      FunctionName: FN,
      Runtime: 'nodejs20.x',
      Role: roleArn,
      Handler: 'index.handler',
      Code: { ZipFile: zipOf('index.js', 'exports.handler = async () => "ok";\n') },
      Tags: FUNCTION_TAGS,
    }),
  );
  client.destroy();
});

after(async () => {
  await receiver?.close();
  await moto?.stop();
});

/** A one-file zip archive (stored, no compression): enough for CreateFunction. */
function zipOf(name, text) {
  const data = Buffer.from(text);
  const fileName = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4); // version needed
  local.writeUInt32LE(crc, 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(fileName.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4); // version made by
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(crc, 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(fileName.length, 28);
  const centralOffset = local.length + fileName.length + data.length;
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + fileName.length, 12);
  end.writeUInt32LE(centralOffset, 16);
  return Buffer.concat([local, fileName, data, central, fileName, end]);
}

function crc32(buf) {
  let crc = 0xffffffff;
  for (const byte of buf) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = (crc >>> 1) ^ (0xedb88320 & -(crc & 1));
  }
  return (crc ^ 0xffffffff) >>> 0;
}

const runtime = path.join(fixtures, 'lambda-runtime.mjs');
const ROOT = '5759e988bd862e3fe1be46a994272793';
const traceHeader = (n) => `Root=1-${ROOT.slice(0, 8)}-${ROOT.slice(8, 30)}${String(n).padStart(2, '0')};Parent=53995c3f42cd8ad8;Sampled=1`;

/**
 * One sandbox: the preload, opted in, the SDK pointed at `lambdaApi` through AWS_ENDPOINT_URL_LAMBDA
 * (the SDK's own service-specific endpoint variable). Returns the runtime's per-invocation lines,
 * this run's invocation spans, stderr and the debug lines about tags (console.debug goes to stdout).
 */
async function runLambda({ lambdaApi, env = {}, invocations = 2 }) {
  const firstSpan = receiver.spans.length;
  const r = await runNode(['--require', registerCjs, runtime], {
    env: cleanEnv({
      AWS_LAMBDA_FUNCTION_NAME: FN,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      AWS_REGION: 'us-east-1',
      AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x',
      // What Lambda gives the execution role; dummy values here.
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
      AWS_SESSION_TOKEN: 'testing',
      AWS_ENDPOINT_URL_LAMBDA: lambdaApi,
      // The SDK's notice that its 2027 releases will need Node 22: not ours, and not under test.
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      LAMBDA_TASK_ROOT: path.join(fixtures, 'lambda', 'cjs'),
      _HANDLER: 'index.handler',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'true',
      INVOCATIONS: JSON.stringify(Array.from({ length: invocations }, (_, i) => ({ event: {}, traceHeader: traceHeader(i) }))),
      ...env,
    }),
    cwd: repoRoot,
  });
  assert.equal(r.code, 0, r.stderr);
  const stdout = r.stdout.split('\n');
  const lines = stdout.filter((l) => l.startsWith('{"requestId"')).map((l) => JSON.parse(l));
  assert.deepEqual(lines.map((l) => l.ok), Array(invocations).fill(true), r.stdout);
  const spans = receiver.spans.slice(firstSpan).filter((s) => s.resource['faas.name'] === FN);
  return {
    lines,
    spans,
    stderrLines: r.stderr.split('\n').filter((l) => l.trim() !== ''),
    tagDebugLines: stdout.filter((l) => /function tags/.test(l)),
    ms: r.ms,
  };
}

test('moto: the function tags env/service/version and a custom tag are on every exported span; aws:* tags are not', async () => {
  const { spans, stderrLines, tagDebugLines } = await runLambda({ lambdaApi: moto.url, env: { OTEL_LOG_LEVEL: 'debug' } });
  const invocationSpans = spans.filter((s) => s.scope === 'otel-xray-datadog/aws-lambda');
  assert.equal(invocationSpans.length, 2, 'both invocations exported');
  for (const span of spans) {
    assert.equal(span.resource['service.name'], 'orders-api');
    assert.equal(span.resource['deployment.environment.name'], 'staging');
    assert.equal(span.resource['deployment.environment'], 'staging');
    assert.equal(span.resource['service.version'], '2.3.1');
    assert.equal(span.resource.team, 'payments');
    assert.equal(span.resource['aws:cloudformation:stack-name'], undefined);
    assert.equal(span.resource['cloud.platform'], 'aws_lambda', 'detected attributes are kept');
  }
  // The handler makes no calls: anything else would be our own GetFunction (an AWS SDK or HTTP span).
  assert.deepEqual(spans.filter((s) => s.scope !== 'otel-xray-datadog/aws-lambda').map((s) => `${s.scope} ${s.name}`), [], 'our own API call is not traced');
  assert.equal(tagDebugLines.length, 1, tagDebugLines.join('\n'));
  assert.match(tagDebugLines[0], /function tags read: /);
  assert.deepEqual(stderrLines, []);
});

test('moto: DD_ENV and DD_TAGS set explicitly beat the function tags; the defaulted service still comes from the tag', async () => {
  const { spans } = await runLambda({ lambdaApi: moto.url, env: { DD_ENV: 'prod', DD_TAGS: 'team:core' }, invocations: 1 });
  assert.ok(spans.length >= 1);
  for (const span of spans) {
    assert.equal(span.resource['deployment.environment.name'], 'prod');
    assert.equal(span.resource['deployment.environment'], 'prod');
    assert.equal(span.resource.team, 'core');
    assert.equal(span.resource['service.name'], 'orders-api');
    assert.equal(span.resource['service.version'], '2.3.1');
  }
});

/**
 * A Lambda API of our own: denies, throttles, never answers, or answers GetFunction with the
 * tags after `delayMs`. Records the requests it saw.
 */
async function startLambdaApiDouble(behaviour, { delayMs = 0 } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    req.resume();
    if (behaviour === 'hang') return;
    const answer = () => {
      if (behaviour === 'slow') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-amzn-requestid': 'r-1' });
        res.end(JSON.stringify({ Configuration: { FunctionName: FN }, Tags: FUNCTION_TAGS }));
        return;
      }
      const [status, type, message] =
        behaviour === 'deny'
          ? [403, 'AccessDeniedException', `User: arn:aws:sts::123456789012:assumed-role/orders-fn-role/orders-fn is not authorized to perform: lambda:GetFunction on resource: arn:aws:lambda:us-east-1:123456789012:function:${FN}`]
          : [429, 'TooManyRequestsException', 'Rate exceeded'];
      res.writeHead(status, { 'content-type': 'application/json', 'x-amzn-errortype': type, 'x-amzn-requestid': 'r-1' });
      res.end(JSON.stringify({ Type: 'User', message }));
    };
    setTimeout(answer, delayMs);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    requests,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

test('a slow Lambda API, within the bound: the first export waits for the tags, so the first span carries them', async () => {
  // Flush budget 2000 ms -> the tags may take up to 1000 ms from init; this API answers after 300 ms,
  // while the first invocation is over in a few milliseconds.
  const api = await startLambdaApiDouble('slow', { delayMs: 300 });
  try {
    const { spans, lines, stderrLines } = await runLambda({ lambdaApi: api.url, env: { OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: '2000' } });
    const first = spans.find((s) => s.attributes['faas.invocation_id'] === 'req-1');
    assert.ok(first && first.receivedAt <= lines[0].resolvedAt, 'the first span was flushed before its invocation returned');
    assert.equal(first.resource['service.name'], 'orders-api');
    assert.equal(first.resource['deployment.environment.name'], 'staging');
    assert.equal(first.resource.team, 'payments');
    assert.ok(lines[0].tookMs < 1000 + 300, `first invocation took ${lines[0].tookMs} ms`);
    assert.deepEqual(stderrLines, []);
  } finally {
    await api.close();
  }
});

for (const { behaviour, warning } of [
  { behaviour: 'deny', warning: /function tags not read: the execution role may not call lambda:GetFunction on orders-fn \(AccessDeniedException: User: .* is not authorized/ },
  { behaviour: 'throttle' },
  { behaviour: 'hang' },
]) {
  test(`a Lambda API that ${behaviour === 'deny' ? 'denies (403 AccessDeniedException)' : behaviour === 'throttle' ? 'throttles (429 TooManyRequestsException)' : 'never answers'}: spans carry the environment's defaults, the invocation is not held beyond the bound, ${warning ? 'one warning naming the permission' : 'no warning'}`, async () => {
    const api = await startLambdaApiDouble(behaviour);
    try {
      const { spans, lines, stderrLines } = await runLambda({ lambdaApi: api.url });
      assert.deepEqual(api.requests, [`GET /2015-03-31/functions/${FN}`], 'one GetFunction call, no retry');
      const invocationSpans = spans.filter((s) => s.scope === 'otel-xray-datadog/aws-lambda');
      assert.equal(invocationSpans.length, 2, 'both invocations exported');
      for (const span of spans) {
        assert.equal(span.resource['service.name'], FN);
        assert.equal(span.resource['deployment.environment.name'], 'none');
        assert.equal(span.resource['service.version'], undefined);
        assert.equal(span.resource.team, undefined);
      }
      // Each span reached the receiver before its invocation returned (flush before freeze still works).
      for (const [i, line] of lines.entries()) {
        const span = invocationSpans.find((s) => s.attributes['faas.invocation_id'] === line.requestId);
        assert.ok(span && span.receivedAt <= line.resolvedAt, `invocation ${i + 1} flushed before it returned`);
      }
      // Default flush budget 1000 ms -> the tags wait at most 500 ms from init; the first invocation
      // (its flush waits for the resource) must not take longer than that plus the export itself.
      const bound = Math.min(MAX_TAGS_WAIT_MS, 1000 / 2);
      assert.ok(lines[0].tookMs < bound + 300, `first invocation took ${lines[0].tookMs} ms (bound ${bound} ms)`);
      assert.ok(lines[1].tookMs < 300, `second invocation took ${lines[1].tookMs} ms`);
      assert.ok(stderrLines.length <= 1, `at most one line: ${stderrLines.join('\n')}`);
      if (warning) {
        assert.equal(stderrLines.length, 1);
        assert.match(stderrLines[0], warning);
      } else {
        assert.deepEqual(stderrLines, []);
      }
    } finally {
      await api.close();
    }
  });
}

test('throttled, with OTEL_LOG_LEVEL=debug: exactly one debug line says why the tags were not used', async () => {
  const api = await startLambdaApiDouble('throttle');
  try {
    const { tagDebugLines, stderrLines } = await runLambda({ lambdaApi: api.url, env: { OTEL_LOG_LEVEL: 'debug' }, invocations: 1 });
    assert.equal(tagDebugLines.length, 1, tagDebugLines.join('\n'));
    assert.match(tagDebugLines[0], /function tags not read \(TooManyRequestsException: Rate exceeded\); using env\/service\/version from the environment/);
    assert.deepEqual(stderrLines.filter((l) => /function tags/.test(l)), []);
  } finally {
    await api.close();
  }
});
