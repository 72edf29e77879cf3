// Lambda function tags as trace dimensions (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS=true), in-process: the
// resolved config's defaults, the tag -> attribute mapping and precedence, the late resource, the
// fetch's failure modes against local HTTP servers playing a denied, throttled or hanging Lambda API.
// The same against moto and traced sandboxes: test/lambda-tags.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import http from 'node:http';

const require = createRequire(import.meta.url);
const { resolveConfig } = require('../../../dist/config/resolve-config.js');
const { functionTagAttributes, applyTagAttributes, fetchFunctionTags, withFunctionTags, MAX_TAGS_WAIT_MS } = require('../../../dist/lambda/function-tags.js');
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
  assert.deepEqual(functionTagAttributes({ Env: ' qa ', 'service.name': 'sneaky', 'deployment.environment': 'sneaky', owner: '', 'AWS:x': 'y', 'cost-center': '42' }, all), {
    overrides: { 'deployment.environment.name': 'qa', 'deployment.environment': 'qa' },
    additions: { 'cost-center': '42' },
  });
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
    assert.deepEqual(
      sdk.calls.map((c) => [c.config, c.input]),
      [[{ region: 'us-east-1', maxAttempts: 1 }, { FunctionName: 'orders-fn' }]],
    );
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
  assert.deepEqual(
    lines.map((l) => l.level),
    ['debug', 'debug', 'debug', 'debug'],
  );
  assert.match(lines[0].message, /function tags read: env, service, version, team/);
  // The start-up report's lines for what the tags replaced, now that they are known.
  assert.deepEqual(
    lines.slice(1).map((l) => l.message.replace('otel-xray-datadog: ', '')),
    ['setting service = orders-api (function tag service)', 'setting env = staging (function tag env)', 'setting version = 2.3.1 (function tag version)'],
  );
});

test('fetch failures: fallback, bounded, never rejects, at most one line (a warning only when the user must act)', async (t) => {
  const awsError = (name, status) => Object.assign(new Error(`${name} from the API`), { name, $metadata: { httpStatusCode: status } });
  const cases = [
    { what: 'AccessDenied', send: () => Promise.reject(awsError('AccessDeniedException', 403)), level: 'warn', line: /lambda:GetFunction on orders-fn \(AccessDeniedException/ },
    { what: 'bare 403', send: () => Promise.reject(awsError('UnknownError', 403)), level: 'warn', line: /lambda:GetFunction/ },
    { what: 'throttled', send: () => Promise.reject(awsError('TooManyRequestsException', 429)), level: 'debug', line: /not read \(TooManyRequestsException/ },
    { what: 'not found', send: () => Promise.reject(awsError('ResourceNotFoundException', 404)), level: 'debug', line: /ResourceNotFoundException/ },
    {
      what: 'send throws',
      send: () => {
        throw new TypeError('boom');
      },
      level: 'debug',
      line: /TypeError: boom/,
    },
    { what: 'hangs', send: () => new Promise(() => {}), level: 'debug', line: /not read within 50 ms/ },
    { what: 'no tags in the answer', send: () => Promise.resolve({ Configuration: {} }), level: 'debug', line: /function tags read: \(none\)/, tags: {} },
    {
      what: 'SDK missing',
      load: () => {
        throw Object.assign(new Error("Cannot find module '@aws-sdk/client-lambda'\nRequire stack: ..."), { code: 'MODULE_NOT_FOUND' });
      },
      level: 'warn',
      line: /@aws-sdk\/client-lambda could not be loaded \(Cannot find module '@aws-sdk\/client-lambda'\); function tags are not read/,
    },
  ];
  // The fetch's own timer does not keep a process alive (by design); this test must stay alive for it.
  const keepAlive = setInterval(() => {}, 1000);
  t.after(() => clearInterval(keepAlive));
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
