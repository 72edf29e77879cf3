// resolveConfig(env, options) is pure: its precedence, its checks of variables and start() options,
// its warnings, and what the start-up report and the public handle show, as tables.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveConfig } from '../../../dist/config/resolve-config.js';
import { publicConfig, DEFAULT_PROPAGATORS, ALL_INSTRUMENTATIONS } from '../../../dist/config/resolved-config.js';
import { describeSettings, describeFunctionTagSettings } from '../../../dist/config/describe-settings.js';

const PACKAGE = () => 'otel-xray-datadog';
const resolve = (env = {}, options = {}, readPackage = PACKAGE) => resolveConfig(env, options, readPackage);

/** Every warning is one line that names a variable or an option, at most once. */
function assertWellFormedWarnings(config) {
  const labels = config.warnings.map((w) => w.slice(0, w.indexOf(': ')));
  assert.equal(new Set(labels).size, labels.length, `one warning per variable or option:\n${config.warnings.join('\n')}`);
  for (const warning of config.warnings) {
    assert.match(warning, /^(start\(\{ \w+ \}\)|start\(options\)|[A-Z][A-Z0-9_]+): .+; using .+$/, warning);
    assert.ok(!warning.includes('\n'), warning);
  }
}

// service / env / version precedence (README "Unified service tags"); these ran as ten processes before.
const precedence = [
  { name: 'defaults outside Lambda', env: {}, expect: { service: 'otel-xray-datadog', env: 'none', version: undefined } },
  { name: 'no package.json name either', env: {}, readPackage: () => undefined, expect: { service: 'unknown_service:node' } },
  {
    name: 'a package.json that cannot be read',
    env: {},
    readPackage: () => {
      throw new Error('EACCES');
    },
    expect: { service: 'unknown_service:node' },
  },
  { name: 'Lambda function name is the default service', env: { AWS_LAMBDA_FUNCTION_NAME: 'orders-fn' }, expect: { service: 'orders-fn', env: 'none' } },
  { name: 'DD_* set all three', env: { DD_SERVICE: 'dd-svc', DD_ENV: 'staging', DD_VERSION: '9' }, expect: { service: 'dd-svc', env: 'staging', version: '9' } },
  { name: 'DD_SERVICE beats OTEL_SERVICE_NAME', env: { DD_SERVICE: 'dd-svc', OTEL_SERVICE_NAME: 'otel-svc' }, expect: { service: 'dd-svc' } },
  {
    name: 'OTEL_SERVICE_NAME beats DD_TAGS and the function name',
    env: { OTEL_SERVICE_NAME: 'otel-svc', DD_TAGS: 'service:tag-svc', AWS_LAMBDA_FUNCTION_NAME: 'fn' },
    expect: { service: 'otel-svc' },
  },
  {
    name: 'DD_TAGS beat OTEL_RESOURCE_ATTRIBUTES',
    env: { DD_TAGS: 'env:from-tags,version:3,team:core', OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=from-otel,service.version=4' },
    expect: { env: 'from-tags', version: '3', extra: { team: 'core' } },
  },
  { name: 'DD_TAGS separated by spaces', env: { DD_TAGS: 'env:spaced team:web' }, expect: { env: 'spaced', extra: { team: 'web' } } },
  { name: 'DD_ENV beats DD_TAGS', env: { DD_ENV: 'prod', DD_TAGS: 'env:qa' }, expect: { env: 'prod' } },
  {
    name: 'deployment.environment.name beats deployment.environment',
    env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=old,deployment.environment.name=new' },
    expect: { env: 'new' },
  },
  {
    name: 'deployment.environment alone is used',
    env: { OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=legacy,service.name=res-svc' },
    expect: { env: 'legacy', service: 'res-svc' },
  },
  {
    name: 'options beat every variable',
    env: { DD_SERVICE: 'dd', DD_ENV: 'dd', DD_VERSION: 'dd' },
    options: { serviceName: 'opt', env: 'opt-env', version: '5.0.0' },
    expect: { service: 'opt', env: 'opt-env', version: '5.0.0' },
  },
  { name: 'blank values are unset', env: { DD_SERVICE: '  ', DD_ENV: '' }, options: { serviceName: ' ' }, expect: { service: 'otel-xray-datadog', env: 'none' } },
  { name: 'values are trimmed', env: { DD_SERVICE: '  svc  ' }, expect: { service: 'svc' } },
  {
    name: 'resource attributes: options over DD_TAGS over OTEL_RESOURCE_ATTRIBUTES, unified keys left out',
    env: { DD_TAGS: 'team:tags,region:eu', OTEL_RESOURCE_ATTRIBUTES: 'team=otel,zone=a,service.name=x' },
    options: { resourceAttributes: { team: 'opt', 'service.version': '7' } },
    expect: { service: 'x', version: undefined, extra: { team: 'opt', region: 'eu', zone: 'a' }, noExtra: ['service.name', 'service.version', 'service', 'env'] },
  },
];

for (const c of precedence) {
  test(`unified tags: ${c.name}`, () => {
    const config = resolve(c.env, c.options, c.readPackage);
    if ('service' in c.expect) assert.equal(config.service, c.expect.service);
    if ('env' in c.expect) assert.equal(config.env, c.expect.env);
    if ('version' in c.expect) assert.equal(config.version, c.expect.version);
    for (const [k, v] of Object.entries(c.expect.extra ?? {})) assert.equal(config.extraResourceAttributes[k], v, k);
    for (const k of c.expect.noExtra ?? []) assert.equal(config.extraResourceAttributes[k], undefined, k);
    assert.deepEqual(config.warnings, []);
  });
}

// A bad start() option: one warning naming the option and what is used instead; tracing stays on.
const badOptions = [
  {
    options: { serviceName: 5 },
    warning: 'start({ serviceName }): 5 is not a string; using otel-xray-datadog (default: package.json name)',
    check: (c) => c.service === 'otel-xray-datadog',
  },
  {
    options: { serviceName: 5 },
    env: { DD_SERVICE: 'from-env' },
    warning: 'start({ serviceName }): 5 is not a string; using from-env (env DD_SERVICE)',
    check: (c) => c.service === 'from-env',
  },
  { options: { env: { name: 'prod' } }, warning: 'start({ env }): {"name":"prod"} is not a string; using none', check: (c) => c.env === 'none' },
  {
    options: { version: 'a\u0000b' },
    env: { DD_TAGS: 'version:3' },
    warning: /^start\(\{ version \}\): "a\?b" has control characters .*; using 3 \(env DD_TAGS version\)$/,
    check: (c) => c.version === '3',
  },
  {
    options: { propagators: ['b3'] },
    warning: `start({ propagators }): unknown propagator(s) b3 (known: tracecontext, baggage, xray, datadog, xray-lambda, none); using ${DEFAULT_PROPAGATORS.join(',')}`,
    check: (c) => c.propagators.join() === DEFAULT_PROPAGATORS.join() && !c.datadogInjection,
  },
  {
    options: { propagators: ['b3'] },
    env: { OTEL_PROPAGATORS: 'tracecontext' },
    warning: /^start\(\{ propagators \}\): unknown propagator\(s\) b3 .*; using tracecontext \(env OTEL_PROPAGATORS\)$/,
    check: (c) => c.propagators.join() === 'tracecontext',
  },
  {
    options: { propagators: ['tracecontext', 'b3'] },
    warning: /^start\(\{ propagators \}\): unknown propagator\(s\) b3 .*; using tracecontext$/,
    check: (c) => c.propagators.join() === 'tracecontext',
  },
  { options: { propagators: 'xray' }, warning: undefined, check: (c) => c.propagators.join() === 'xray' },
  { options: { propagators: [1, 2] }, warning: /^start\(\{ propagators \}\): \[1,2\] is not a list of names; using xray,datadog,tracecontext,baggage$/ },
  {
    options: { lambdaParentPriority: 'sideways' },
    warning: 'start({ lambdaParentPriority }): "sideways" is not one of xray-env, headers; using xray-env',
    check: (c) => c.lambda.parentPriority === 'xray-env',
  },
  {
    options: { lambdaParentPriority: 'sideways' },
    env: { OTEL_XRAY_DD_LAMBDA_PARENT: 'headers' },
    warning: /using headers \(env OTEL_XRAY_DD_LAMBDA_PARENT\)$/,
    check: (c) => c.lambda.parentPriority === 'headers',
  },
  { options: { shutdownTimeoutMs: -1 }, warning: 'start({ shutdownTimeoutMs }): "-1" is not a whole number; using 2000 ms', check: (c) => c.shutdownTimeoutMs === 2000 },
  { options: { shutdownTimeoutMs: Number.NaN }, warning: /^start\(\{ shutdownTimeoutMs \}\): "NaN" is not a whole number; using 2000 ms$/ },
  { options: { shutdownTimeoutMs: Infinity }, warning: /^start\(\{ shutdownTimeoutMs \}\): .*; using 2000 ms$/ },
  { options: { shutdownTimeoutMs: 1500.5 }, warning: /"1500\.5" is not a whole number; using 2000 ms$/ },
  {
    options: { shutdownTimeoutMs: 120_000 },
    env: { OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: '500' },
    warning: 'start({ shutdownTimeoutMs }): 120000 is larger than 60000; using 500 ms (env OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS)',
    check: (c) => c.shutdownTimeoutMs === 500,
  },
  { options: { lambdaFlushTimeoutMs: '750' }, warning: undefined, check: (c) => c.lambda.flushTimeoutMs === 750 },
  { options: { lambdaFlushTimeoutMs: true }, warning: 'start({ lambdaFlushTimeoutMs }): true is not a number; using 1000 ms' },
  {
    options: { tracesEndpoint: 'ftp://user:token@collector/x?token=1' },
    warning: 'start({ tracesEndpoint }): "ftp://***@collector/x?***" is not an http(s) URL; using http://localhost:4318/v1/traces',
    check: (c) => c.tracesEndpoint === 'http://localhost:4318/v1/traces',
  },
  {
    options: { tracesEndpoint: 4318 },
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' },
    warning: 'start({ tracesEndpoint }): 4318 is not a string; using http://collector:4318/v1/traces (env OTEL_EXPORTER_OTLP_ENDPOINT)',
  },
  {
    options: { instrumentations: ['express', 'bogus'] },
    warning: /^start\(\{ instrumentations \}\): unknown instrumentation\(s\) bogus .*; using express$/,
    check: (c) => [...c.instrumentations].join() === 'express',
  },
  { options: { instrumentations: [] }, warning: undefined, check: (c) => c.instrumentations.size === 0 },
  { options: { exitHooks: 'no' }, warning: 'start({ exitHooks }): "no" is not true or false; using true', check: (c) => c.exitHooks === true },
  { options: { exitHooks: false }, warning: undefined, check: (c) => c.exitHooks === false },
  { options: { resourceAttributes: 'team=a' }, warning: 'start({ resourceAttributes }): "team=a" is not an object of string values; using none' },
  {
    options: { resourceAttributes: { team: 'a', count: 5 } },
    warning: /^start\(\{ resourceAttributes \}\): ignored entries .*\(count\); using the well-formed entries only$/,
    check: (c) => c.extraResourceAttributes.team === 'a' && !('count' in c.extraResourceAttributes),
  },
  {
    name: 'a getter that throws',
    options: {
      get serviceName() {
        throw new Error('boom');
      },
    },
    warning: 'start({ serviceName }): could not be read; using otel-xray-datadog (default: package.json name)',
  },
  {
    name: 'a hostile list',
    options: {
      propagators: new Proxy([], {
        get() {
          throw new Error('trap');
        },
      }),
    },
    warning: 'start({ propagators }): could not be read; using xray,datadog,tracecontext,baggage',
  },
  {
    name: 'a hostile record',
    options: {
      resourceAttributes: new Proxy(
        {},
        {
          ownKeys() {
            throw new Error('trap');
          },
        },
      ),
    },
    warning: 'start({ resourceAttributes }): could not be read; using none',
  },
  { options: 'checkout', warning: 'start(options): "checkout" is not an object; using the environment and defaults' },
  { options: null, warning: 'start(options): null is not an object; using the environment and defaults' },
];

for (const c of badOptions) {
  test(`start() option ${c.name ?? JSON.stringify(c.options) ?? String(c.options)}${c.env ? ` with ${JSON.stringify(c.env)}` : ''}`, () => {
    const config = resolve(c.env, c.options);
    assert.equal(config.disabled, false, 'tracing stays on');
    if (c.warning === undefined) assert.deepEqual(config.warnings, []);
    else {
      assert.equal(config.warnings.length, 1, config.warnings.join('\n'));
      if (typeof c.warning === 'string') assert.equal(config.warnings[0], c.warning);
      else assert.match(config.warnings[0], c.warning);
    }
    if (c.check) assert.ok(c.check(config), JSON.stringify({ ...config, instrumentations: [...config.instrumentations], inForce: undefined }));
    assertWellFormedWarnings(config);
  });
}

// Variables: what is resolved, and the one warning an unusable value gives.
const variables = [
  {
    env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc' },
    expect: { protocol: 'http/protobuf' },
    warning: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "grpc" is not supported by this distribution (http/protobuf, http/json); using http/protobuf',
  },
  {
    env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
    expect: { protocol: 'http/protobuf' },
    warning: 'OTEL_EXPORTER_OTLP_PROTOCOL: "grpc" is not supported by this distribution (http/protobuf, http/json); using http/protobuf',
  },
  {
    env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' },
    expect: { protocol: 'http/json' },
    warning: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: "thrift" is not one of http/protobuf, http/json; using http/json (env OTEL_EXPORTER_OTLP_PROTOCOL)',
  },
  { env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, expect: { protocol: 'http/json' } },
  {
    env: {},
    expect: {
      protocol: 'http/protobuf',
      compileCache: true,
      tracesEndpoint: 'http://localhost:4318/v1/traces',
      ec2Detector: false,
      keepUrlQuery: false,
      disabled: false,
      logLevel: 'warn',
    },
  },
  { env: { OTEL_XRAY_DD_COMPILE_CACHE: 'false' }, expect: { compileCache: false } },
  { env: { OTEL_XRAY_DD_COMPILE_CACHE: 'off' }, expect: { compileCache: true }, warning: 'OTEL_XRAY_DD_COMPILE_CACHE: "off" is not true or false; using true' },
  // Each Lambda sandbox starts Node once, with an empty /tmp, and is killed before Node would write the cache.
  { env: { AWS_LAMBDA_FUNCTION_NAME: 'fn' }, expect: { compileCache: false } },
  { env: { AWS_LAMBDA_FUNCTION_NAME: 'fn', OTEL_XRAY_DD_COMPILE_CACHE: 'true' }, expect: { compileCache: true } },
  {
    env: { AWS_LAMBDA_FUNCTION_NAME: 'fn', OTEL_XRAY_DD_COMPILE_CACHE: 'off' },
    expect: { compileCache: false },
    warning: 'OTEL_XRAY_DD_COMPILE_CACHE: "off" is not true or false; using false',
  },
  { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.internal:4318/' }, expect: { tracesEndpoint: 'https://collector.internal:4318/v1/traces' } },
  { env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:token@gw:4318/base/?x=y' }, expect: { tracesEndpoint: 'https://user:token@gw:4318/base/v1/traces?x=y' } },
  { env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://other:4318' }, expect: { tracesEndpoint: 'http://c:4318/custom' } },
  {
    env: { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:1' },
    expect: { tracesEndpoint: 'http://127.0.0.1:1/v1/traces' },
    warning: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: "not a url" is not a URL; using http://127.0.0.1:1/v1/traces (env OTEL_EXPORTER_OTLP_ENDPOINT)',
  },
  {
    env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' },
    expect: { tracesEndpoint: 'http://localhost:4318/v1/traces' },
    warning: 'OTEL_EXPORTER_OTLP_ENDPOINT: "collector:4318" is not an http(s) URL; using http://localhost:4318/v1/traces',
  },
  { env: { OTEL_NODE_RESOURCE_DETECTORS: 'env,host,ec2' }, expect: { ec2Detector: true } },
  { env: { OTEL_NODE_RESOURCE_DETECTORS: 'aws' }, expect: { ec2Detector: true } },
  { env: { OTEL_NODE_RESOURCE_DETECTORS: 'none' }, expect: { ec2Detector: false } },
  {
    env: { OTEL_NODE_RESOURCE_DETECTORS: 'gcp' },
    expect: { ec2Detector: false },
    warning: /^OTEL_NODE_RESOURCE_DETECTORS: unknown resource detector\(s\) gcp \(known: .*\); using no EC2 detector$/,
  },
  {
    env: { OTEL_NODE_RESOURCE_DETECTORS: 'ec2,azure' },
    expect: { ec2Detector: true },
    warning: /^OTEL_NODE_RESOURCE_DETECTORS: unknown resource detector\(s\) azure .*; using ec2$/,
  },
  {
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 'abc' },
    expect: { sampler: { name: 'parentbased_traceidratio', ratio: 1, explicit: true } },
    warning: 'OTEL_TRACES_SAMPLER_ARG: "abc" is not a number; using ratio 1.0',
  },
  { env: { OTEL_TRACES_SAMPLER: 'TraceIdRatio', OTEL_TRACES_SAMPLER_ARG: '0.25' }, expect: { sampler: { name: 'traceidratio', ratio: 0.25, explicit: true } } },
  { env: { OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'abc' }, expect: { sampler: { name: 'always_on', ratio: 1, explicit: true } } },
  {
    env: { OTEL_TRACES_SAMPLER: 'sometimes' },
    expect: { sampler: { name: 'parentbased_always_on', ratio: 1, explicit: false } },
    warning: /^OTEL_TRACES_SAMPLER: "sometimes" is not one of .*; using parentbased_always_on$/,
  },
  {
    env: { OTEL_PROPAGATORS: 'tracecontext,bogus' },
    expect: { propagators: ['tracecontext'], datadogInjection: false },
    warning: /^OTEL_PROPAGATORS: unknown propagator\(s\) bogus .*; using tracecontext$/,
  },
  { env: { OTEL_PROPAGATORS: 'xray-lambda,datadog,xray' }, expect: { propagators: ['xray', 'datadog'], datadogInjection: true } },
  { env: { OTEL_PROPAGATORS: 'none' }, expect: { propagators: [], datadogInjection: false } },
  {
    env: { OTEL_PROPAGATORS: 'b3,jaeger' },
    expect: { propagators: DEFAULT_PROPAGATORS, datadogInjection: false },
    warning: /^OTEL_PROPAGATORS: unknown propagator\(s\) b3, jaeger .*; using xray,datadog,tracecontext,baggage$/,
  },
  { env: { OTEL_LOG_LEVEL: 'DEBUG' }, expect: { logLevel: 'debug' } },
  { env: { OTEL_LOG_LEVEL: 'loud' }, expect: { logLevel: 'warn' }, warning: /^OTEL_LOG_LEVEL: "loud" is not one of none, error, .*; using warn$/ },
  { env: { OTEL_SDK_DISABLED: 'TRUE' }, expect: { disabled: true } },
  { env: { OTEL_SDK_DISABLED: 'yes' }, expect: { disabled: false }, warning: 'OTEL_SDK_DISABLED: "yes" is not true or false; using false' },
  { env: { OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: '-5' }, expect: { shutdownTimeoutMs: 2000 }, warning: 'OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: "-5" is not a whole number; using 2000 ms' },
  {
    env: { OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: '99999' },
    expect: {
      lambda: {
        functionName: undefined,
        region: undefined,
        parentPriority: 'xray-env',
        samplingMode: 'all',
        inferredSpans: true,
        coldStartMinMs: undefined,
        fetchTags: false,
        flushTimeoutMs: 1000,
      },
    },
    warning: 'OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: 99999 is larger than 60000; using 1000 ms',
  },
  {
    env: { DD_TAGS: 'env:ok,::,novalue:' },
    expect: { env: 'ok' },
    warning: /^DD_TAGS: ignored malformed entries \(:: \| novalue:\); expected key:value; using the well-formed entries only$/,
  },
  {
    env: { OTEL_RESOURCE_ATTRIBUTES: 'a=%E0%A4%A' },
    expect: { extraResourceAttributes: {} },
    warning: /^OTEL_RESOURCE_ATTRIBUTES: .* bad percent-encoding; using none of its attributes$/,
  },
  {
    env: { DD_SERVICE: 'bad\u0007name', OTEL_SERVICE_NAME: 'otel' },
    expect: { service: 'otel' },
    warning: /^DD_SERVICE: "bad\?name" has control characters .*; using otel \(env OTEL_SERVICE_NAME\)$/,
  },
  {
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,@opentelemetry/instrumentation-pg', OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'pg' },
    expect: { instrumentations: new Set(['http']) },
  },
  {
    env: { OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'bogus' },
    expect: { instrumentations: new Set() },
    warning: /^OTEL_NODE_ENABLED_INSTRUMENTATIONS: unknown instrumentation\(s\) bogus .*; using none$/,
  },
  {
    env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express,bogus' },
    expect: { instrumentations: new Set(ALL_INSTRUMENTATIONS.filter((n) => n !== 'express')) },
    warning: /^OTEL_NODE_DISABLED_INSTRUMENTATIONS: unknown instrumentation\(s\) bogus .*; using express$/,
  },
  { env: { OTEL_NODE_DISABLED_INSTRUMENTATIONS: 'express' }, options: { instrumentations: ['express', 'http'] }, expect: { instrumentations: new Set(['express', 'http']) } },
  {
    env: { OTEL_XRAY_DD_LAMBDA_PARENT: 'Headers', OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: '1', AWS_LAMBDA_FUNCTION_NAME: 'fn', AWS_REGION: 'eu-west-1' },
    expect: {
      lambda: {
        functionName: 'fn',
        region: 'eu-west-1',
        parentPriority: 'headers',
        samplingMode: 'all',
        inferredSpans: true,
        coldStartMinMs: undefined,
        fetchTags: true,
        flushTimeoutMs: 1000,
      },
    },
  },
  { env: { OTEL_XRAY_DD_EVENTBRIDGE_INJECT: 'true', OTEL_XRAY_DD_LAMBDA_MAX_LINKS: '0' }, expect: { messaging: { eventBridgeInject: true, kinesisInject: false, maxLinks: 0 } } },
  {
    env: { OTEL_XRAY_DD_LAMBDA_MAX_LINKS: '5000' },
    expect: { messaging: { eventBridgeInject: false, kinesisInject: false, maxLinks: 128 } },
    warning: 'OTEL_XRAY_DD_LAMBDA_MAX_LINKS: 5000 is larger than 1000; using 128',
  },
];

for (const c of variables) {
  test(`variables ${JSON.stringify(c.env)}${c.options ? ` with options ${JSON.stringify(c.options)}` : ''}`, () => {
    const config = resolve(c.env, c.options);
    for (const [key, value] of Object.entries(c.expect)) assert.deepEqual(config[key], value, key);
    if (c.warning === undefined) assert.deepEqual(config.warnings, []);
    else {
      assert.equal(config.warnings.length, 1, config.warnings.join('\n'));
      if (typeof c.warning === 'string') assert.equal(config.warnings[0], c.warning);
      else assert.match(config.warnings[0], c.warning);
    }
    assertWellFormedWarnings(config);
  });
}

test('several bad values: one warning each, in no particular order, none repeated', () => {
  const config = resolve(
    {
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: 'abc',
      DD_TAGS: 'env:ok,::',
      OTEL_PROPAGATORS: 'tracecontext,bogus',
      OTEL_LOG_LEVEL: 'loud',
      OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: '-5',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
    },
    { serviceName: 5, propagators: ['b3'], shutdownTimeoutMs: 'soon' },
  );
  assert.deepEqual(config.warnings.map((w) => w.slice(0, w.indexOf(':'))).sort(), [
    'DD_TAGS',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_LOG_LEVEL',
    'OTEL_PROPAGATORS',
    'OTEL_TRACES_SAMPLER_ARG',
    'OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS',
    'start({ propagators })',
    'start({ serviceName })',
    'start({ shutdownTimeoutMs })',
  ]);
  assert.ok(config.warnings.find((w) => w.startsWith('start({ propagators })')).endsWith('using tracecontext (env OTEL_PROPAGATORS)'));
  assertWellFormedWarnings(config);
});

test('no URL we print carries credentials or a query string', () => {
  const secretEnv = {
    OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'ftp://user:token@collector:4318/v1/traces?token=token',
    OTEL_EXPORTER_OTLP_ENDPOINT: 'https://user:token@collector:4318/?x=token',
    OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer token',
    OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'dd-api-key=token',
    OTEL_BSP_SCHEDULE_DELAY: '50',
  };
  const config = resolve(secretEnv, { tracesEndpoint: 'user:token@collector:4318' });
  assert.equal(config.tracesEndpoint, 'https://user:token@collector:4318/v1/traces?x=token', 'the exporter gets the URL as given');
  const printed = [...config.warnings, ...describeSettings(config), JSON.stringify(publicConfig(config, true))].join('\n');
  assert.ok(!printed.includes('token'), printed);
  assert.ok(!printed.includes('user'), printed);
  assert.match(printed, /setting tracesEndpoint = https:\/\/\*\*\*@collector:4318\/v1\/traces\?\*\*\* \(env OTEL_EXPORTER_OTLP_ENDPOINT\)/);
  assert.match(printed, /setting OTEL_EXPORTER_OTLP_HEADERS = <redacted> \(env OTEL_EXPORTER_OTLP_HEADERS\)/);
  assert.match(printed, /setting OTEL_BSP_SCHEDULE_DELAY = 50 \(env OTEL_BSP_SCHEDULE_DELAY\)/);
});

test('the start-up report: each setting in force and where it came from', () => {
  const config = resolve(
    { DD_SERVICE: 'svc', DD_TAGS: 'version:3,team:core', OTEL_PROPAGATORS: 'tracecontext,datadog', AWS_LAMBDA_FUNCTION_NAME: 'fn', OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: 'true' },
    { env: 'prod', shutdownTimeoutMs: 1500 },
  );
  const lines = describeSettings(config);
  for (const expected of [
    'setting service = svc (env DD_SERVICE)',
    'setting env = prod (start() option env)',
    'setting version = 3 (env DD_TAGS version)',
    'setting resourceAttributes = team (env DD_TAGS)',
    'setting instrumentations = http,undici,aws-sdk,aws-lambda,express,koa,hapi,nestjs-core,fastify,graphql,grpc,pg,mysql2,mysql,mongodb,mongoose,ioredis,redis,kafkajs,amqplib,pino,winston (default)',
    'setting tracesEndpoint = http://localhost:4318/v1/traces (default)',
    'setting protocol = http/protobuf (default)',
    'setting propagators = tracecontext,datadog (env OTEL_PROPAGATORS)',
    'setting shutdownTimeoutMs = 1500 ms (start() option shutdownTimeoutMs)',
    'setting lambda.functionName = fn (env AWS_LAMBDA_FUNCTION_NAME)',
    'setting lambda.fetchTags = true (env OTEL_XRAY_DD_LAMBDA_FETCH_TAGS)',
    'setting compileCache = false (default)',
  ])
    assert.ok(lines.includes(expected), `${expected} in:\n${lines.join('\n')}`);
  assert.equal(new Set(lines.map((l) => l.split(' = ')[0])).size, lines.length, 'each setting once');

  // Function tags replace only what came from a default, and say so.
  const lambda = resolve({ AWS_LAMBDA_FUNCTION_NAME: 'fn', DD_ENV: 'prod' });
  const overrides = { 'service.name': 'orders-api' };
  assert.ok(describeSettings(lambda, overrides).includes('setting service = orders-api (function tag service)'));
  assert.ok(describeSettings(lambda).includes('setting service = fn (default: AWS_LAMBDA_FUNCTION_NAME)'));
  assert.deepEqual(describeFunctionTagSettings(lambda, overrides), ['setting service = orders-api (function tag service)']);
});

test('the public view: service, env, version, endpoint, enabled; nothing else', () => {
  const config = resolve({ DD_SERVICE: 'svc', DD_ENV: 'prod', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://u:p@collector:4318/v1/traces?k=v' });
  const view = publicConfig(config, true);
  assert.deepEqual({ ...view }, { service: 'svc', env: 'prod', version: undefined, endpoint: 'https://***@collector:4318/v1/traces?***', enabled: true });
  assert.ok(Object.isFrozen(view));
  assert.equal(publicConfig(config, false).enabled, false);
});

test('resolution is pure: the same inputs give the same configuration, nothing is mutated', () => {
  const env = Object.freeze({ DD_SERVICE: 'svc', OTEL_PROPAGATORS: 'xray' });
  const options = Object.freeze({ env: 'prod', propagators: Object.freeze(['tracecontext']) });
  const a = resolve(env, options);
  const b = resolve(env, options);
  assert.deepEqual({ ...a, instrumentations: [...a.instrumentations] }, { ...b, instrumentations: [...b.instrumentations] });
  assert.deepEqual(a.propagators, ['tracecontext']);
});
