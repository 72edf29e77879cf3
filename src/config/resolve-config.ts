/**
 * The one place that turns environment variables and start() options into a
 * resolved configuration. Everything else receives a ResolvedConfig and never
 * reads process.env for its own settings. What each variable and option is,
 * and how its value is parsed, is declared once in src/settings.ts; this
 * module composes small resolvers, one per concern, that read through it.
 *
 * Unified service tags, highest precedence first (documented in README.md):
 *   1. start() options (serviceName, env, version)
 *   2. DD_SERVICE / DD_ENV / DD_VERSION
 *   3. OTEL_SERVICE_NAME (service only)
 *   4. DD_TAGS (service:, env:, version:)
 *   5. OTEL_RESOURCE_ATTRIBUTES (service.name; deployment.environment.name,
 *      then deployment.environment; service.version)
 *   6. Lambda function tags env/service/version, with
 *      OTEL_XRAY_DD_LAMBDA_FETCH_TAGS=true: not resolved here (they are read
 *      after start-up); they replace level-7 values, and only those (see
 *      `defaulted`), in the exported resource (src/function-tags.ts).
 *   7. defaults: service = Lambda function name, else the app's package.json
 *      name, else unknown_service:node; env = none; version unset.
 * Datadog variables win over OpenTelemetry ones at the same level because the
 * Datadog side of a mixed fleet (dd-trace, the Lambda extension) applies the
 * same rule, and dedicated variables win over tag lists.
 *
 * A value that cannot be used is treated as unset: the next source in
 * precedence order applies, and one warning names the variable or option and
 * what is used instead.
 */ import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeValue } from './env-values';
import { ALL_INSTRUMENTATIONS, type InstrumentationName, type Origin, type ResolvedConfig } from './resolved-config';
import { DEFAULT, Reader, type Env, type Found } from './setting-reader';
import { OPTION_ONLY_SETTINGS, defaultOf, type OtlpProtocol, type SettingName, type StartOptions } from './settings';
import { redactUrl } from './url-redaction';

// --- resolvers, one per concern --------------------------------------------------

function resolveGeneral(r: Reader, inLambda: boolean): Pick<ResolvedConfig, 'disabled' | 'logLevel' | 'compileCache'> {
  return {
    disabled: r.get('OTEL_SDK_DISABLED', 'disabled').value,
    logLevel: r.get('OTEL_LOG_LEVEL', 'logLevel').value,
    compileCache: pick(r, 'compileCache', ['OTEL_XRAY_DD_COMPILE_CACHE'], [r.find('OTEL_XRAY_DD_COMPILE_CACHE')], { value: !inLambda, origin: DEFAULT }).value,
  };
}

/** The first value found in precedence order, else the default; settles the variables read for it. */
function pick<T>(r: Reader, field: string, settled: readonly SettingName[], found: readonly (Found<T> | undefined)[], fallback: Found<T>): Found<T> & { defaulted: boolean } {
  const first = found.find((f): f is Found<T> => f !== undefined);
  const chosen = first ?? fallback;
  const show = (value: T): string => (value === undefined ? '(unset)' : String(value));
  r.settle(settled, r.using(chosen, show));
  r.record(field, chosen, show);
  return { ...chosen, defaulted: first === undefined };
}

/** The origin of a value made from several sources, highest precedence first: the first one's kind, every name. */
function combined(...found: (Found<unknown> | undefined)[]): Origin {
  const sources = found.filter((f) => f !== undefined);
  const first = sources[0];
  return first === undefined ? DEFAULT : { kind: first.origin.kind, name: sources.map((f) => f.origin.name).join(', ') };
}

const inList = <T>(list: Found<Record<string, T>> | undefined, ...keys: string[]): Found<T> | undefined => {
  for (const key of keys) {
    const value = list?.value[key];
    if (value !== undefined) return { value, origin: { ...list!.origin, entry: key } };
  }
  return undefined;
};

const UNIFIED_KEYS = ['service', 'env', 'version', 'service.name', 'service.version', 'deployment.environment', 'deployment.environment.name'];

function resolveServiceTags(
  r: Reader,
  functionName: string | undefined,
  readAppPackageName: () => string | undefined,
): Pick<ResolvedConfig, 'service' | 'env' | 'version' | 'defaulted' | 'extraResourceAttributes'> {
  const ddTags = r.find('DD_TAGS');
  const otelAttrs = r.find('OTEL_RESOURCE_ATTRIBUTES');
  r.settle(['DD_TAGS', 'OTEL_RESOURCE_ATTRIBUTES'], 'none of its attributes');
  const defaultService = (): Found<string> => {
    if (functionName !== undefined) return { value: functionName, origin: { kind: 'default', name: 'AWS_LAMBDA_FUNCTION_NAME' } };
    const fromPackage = safeCall(readAppPackageName);
    if (fromPackage !== undefined) return { value: fromPackage, origin: { kind: 'default', name: 'package.json name' } };
    return { value: 'unknown_service:node', origin: DEFAULT };
  };
  const service = pick(
    r,
    'service',
    ['DD_SERVICE', 'OTEL_SERVICE_NAME'],
    [r.find('DD_SERVICE'), r.find('OTEL_SERVICE_NAME'), inList(ddTags, 'service'), inList(otelAttrs, 'service.name')],
    defaultService(),
  );
  const env = pick(r, 'env', ['DD_ENV'], [r.find('DD_ENV'), inList(ddTags, 'env'), inList(otelAttrs, 'deployment.environment.name', 'deployment.environment')], {
    value: 'none',
    origin: DEFAULT,
  });
  const version = pick<string | undefined>(r, 'version', ['DD_VERSION'], [r.find('DD_VERSION'), inList(ddTags, 'version'), inList(otelAttrs, 'service.version')], {
    value: undefined,
    origin: DEFAULT,
  });

  const fromOptions = r.option('resourceAttributes', OPTION_ONLY_SETTINGS.resourceAttributes);
  const extraResourceAttributes: Record<string, string> = { ...otelAttrs?.value, ...ddTags?.value, ...fromOptions?.value };
  for (const key of UNIFIED_KEYS) delete extraResourceAttributes[key];
  r.record('resourceAttributes', { value: Object.keys(extraResourceAttributes), origin: combined(fromOptions, ddTags, otelAttrs) }, (keys) => keys.join(',') || '(none)');
  return {
    service: service.value,
    env: env.value,
    version: version.value,
    defaulted: { service: service.defaulted, env: env.defaulted, version: version.defaulted },
    extraResourceAttributes,
  };
}

/** The generic endpoint is a base URL: the signal path is appended (OTLP exporter spec); a query string stays a query string. */
function withTracesPath(base: string): string {
  const url = new URL(base);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

function resolveExport(r: Reader): Pick<ResolvedConfig, 'tracesEndpoint' | 'protocol' | 'maxHeldSpans' | 'tls'> {
  // The signal-specific variables win; the generic ones are read only when those are unset or unusable.
  const fromBase = (base: Found<string>): Found<string> => ({ value: withTracesPath(base.value), origin: base.origin });
  const endpoint =
    r.find('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') ??
    fromBase(r.find('OTEL_EXPORTER_OTLP_ENDPOINT') ?? { value: defaultOf('OTEL_EXPORTER_OTLP_ENDPOINT') as string, origin: DEFAULT });
  r.settle(['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'], r.using(endpoint, redactUrl));
  r.record('tracesEndpoint', endpoint, redactUrl);

  const protocol = r.find('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ??
    r.find('OTEL_EXPORTER_OTLP_PROTOCOL') ?? { value: defaultOf('OTEL_EXPORTER_OTLP_PROTOCOL') as OtlpProtocol, origin: DEFAULT };
  r.settle(['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'], r.using(protocol, String));
  r.record('protocol', protocol, String);
  r.recordPassThrough();
  // The traces variable wins over the generic one, as for every OTLP exporter setting.
  const file = (traces: SettingName, generic: SettingName, field: string): string | undefined => {
    const found = (r.find(traces) ?? r.find(generic)) as { value: string; origin: Origin } | undefined;
    r.settle([traces, generic], found === undefined ? 'none' : r.using(found, (v) => (field === 'tls.key' ? '<redacted>' : v)));
    if (found !== undefined) r.record(field, found, (v) => (field === 'tls.key' ? '<redacted>' : v));
    return found?.value;
  };
  const tls: ResolvedConfig['tls'] = {};
  const ca = file('OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CERTIFICATE', 'tls.ca');
  const cert = file('OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE', 'tls.cert');
  const key = file('OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_CLIENT_KEY', 'tls.key');
  if (ca !== undefined) tls.ca = ca;
  if (cert !== undefined) tls.cert = cert;
  if (key !== undefined) tls.key = key;
  return { tracesEndpoint: endpoint.value, protocol: protocol.value, maxHeldSpans: r.get('OTEL_XRAY_DD_EXPORT_HELD_SPANS', 'maxHeldSpans').value, tls };
}

function resolveSampling(r: Reader): Pick<ResolvedConfig, 'sampler'> {
  const { value: name, origin } = r.get('OTEL_TRACES_SAMPLER', 'sampler');
  // The argument means something to the ratio samplers only.
  const ratio = name.endsWith('traceidratio') ? r.get('OTEL_TRACES_SAMPLER_ARG', 'sampler ratio').value : 1;
  return { sampler: { name, ratio, explicit: origin.kind !== 'default' } };
}

function resolvePropagation(r: Reader): Pick<ResolvedConfig, 'propagators' | 'datadogInjection'> {
  const propagators = r.get('OTEL_PROPAGATORS', 'propagators');
  // Datadog headers are always read, but only written when asked for: the
  // W3C headers already reach recent dd-trace, and extra headers cost bytes
  // on every outgoing request.
  return { propagators: propagators.value, datadogInjection: propagators.origin.kind !== 'default' && propagators.value.includes('datadog') };
}

function resolveInstrumentations(r: Reader): Pick<ResolvedConfig, 'instrumentations' | 'ec2Detector' | 'keepUrlQuery' | 'keepDb'> {
  const enabled = r.find('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
  r.settle(['OTEL_NODE_ENABLED_INSTRUMENTATIONS'], enabled !== undefined ? r.using(enabled, (names) => names.join(',')) : 'all of them');
  const instrumentations = new Set<InstrumentationName>(enabled?.value ?? ALL_INSTRUMENTATIONS);
  // The instrumentations option replaces both variables.
  const disabled = enabled?.origin.kind === 'option' ? undefined : r.find('OTEL_NODE_DISABLED_INSTRUMENTATIONS');
  for (const name of disabled?.value ?? []) instrumentations.delete(name);
  r.record('instrumentations', { value: [...instrumentations], origin: combined(enabled, disabled) }, (names) => names.join(',') || 'none');

  const detectors = r.find('OTEL_NODE_RESOURCE_DETECTORS');
  r.settle(['OTEL_NODE_RESOURCE_DETECTORS'], 'no EC2 detector');
  const ec2Detector = detectors?.value.some((d) => d === 'ec2' || d === 'aws' || d === 'all') ?? false;
  r.record('ec2Detector', { value: ec2Detector, origin: detectors?.origin ?? DEFAULT }, String);
  return {
    instrumentations,
    ec2Detector,
    keepUrlQuery: r.get('OTEL_XRAY_DD_HTTP_KEEP_QUERY', 'keepUrlQuery').value,
    keepDb: { statements: r.get('OTEL_XRAY_DD_DB_KEEP_STATEMENTS', 'keepDb.statements').value, commands: r.get('OTEL_XRAY_DD_DB_KEEP_COMMANDS', 'keepDb.commands').value },
  };
}

function resolveMessaging(r: Reader): Pick<ResolvedConfig, 'messaging'> {
  return {
    messaging: {
      eventBridgeInject: r.get('OTEL_XRAY_DD_EVENTBRIDGE_INJECT', 'messaging.eventBridgeInject').value,
      kinesisInject: r.get('OTEL_XRAY_DD_KINESIS_INJECT', 'messaging.kinesisInject').value,
      maxLinks: r.get('OTEL_XRAY_DD_LAMBDA_MAX_LINKS', 'messaging.maxLinks').value,
    },
  };
}

function resolveDurations(r: Reader): { shutdownTimeoutMs: number; lambdaFlushTimeoutMs: number; exitHooks: boolean } {
  const exitHooks = r.option('exitHooks', OPTION_ONLY_SETTINGS.exitHooks) ?? { value: OPTION_ONLY_SETTINGS.exitHooks.default, origin: DEFAULT };
  r.record('exitHooks', exitHooks, String);
  return {
    shutdownTimeoutMs: r.get('OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS', 'shutdownTimeoutMs').value,
    lambdaFlushTimeoutMs: r.get('OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS', 'lambda.flushTimeoutMs').value,
    exitHooks: exitHooks.value,
  };
}

function resolveLambda(r: Reader): Omit<ResolvedConfig['lambda'], 'flushTimeoutMs'> {
  const functionName = r.find('AWS_LAMBDA_FUNCTION_NAME');
  const region = r.find('AWS_REGION');
  r.settle(['AWS_LAMBDA_FUNCTION_NAME', 'AWS_REGION'], 'none (not in Lambda)');
  if (functionName !== undefined) r.record('lambda.functionName', functionName, String);
  if (region !== undefined) r.record('lambda.region', region, String);
  return {
    functionName: functionName?.value,
    region: region?.value,
    parentPriority: r.get('OTEL_XRAY_DD_LAMBDA_PARENT', 'lambda.parentPriority').value,
    samplingMode: r.get('OTEL_XRAY_DD_LAMBDA_SAMPLING', 'lambda.samplingMode').value,
    inferredSpans: r.get('OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS', 'lambda.inferredSpans').value,
    coldStartMinMs: r.get('OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE', 'lambda.coldStartTrace').value
      ? r.get('OTEL_XRAY_DD_LAMBDA_COLD_START_MIN_MS', 'lambda.coldStartMinMs').value
      : undefined,
    fetchTags: r.get('OTEL_XRAY_DD_LAMBDA_FETCH_TAGS', 'lambda.fetchTags').value,
  };
}

export function resolveConfig(
  env: Env = process.env,
  options: StartOptions | undefined = {},
  readAppPackageName: () => string | undefined = appPackageNameFromCwd,
): ResolvedConfig {
  const usable = typeof options === 'object' && options !== null && !Array.isArray(options);
  const r = new Reader(env, usable ? (options as Readonly<Record<string, unknown>>) : {});
  const notAnObject = usable || options === undefined ? [] : [`start(options): ${describeValue(options)} is not an object; using the environment and defaults`];
  const lambda = resolveLambda(r);
  const general = resolveGeneral(r, lambda.functionName !== undefined);
  const serviceTags = resolveServiceTags(r, lambda.functionName, readAppPackageName);
  const exporting = resolveExport(r);
  const sampling = resolveSampling(r);
  const propagation = resolvePropagation(r);
  const instrumentations = resolveInstrumentations(r);
  const messaging = resolveMessaging(r);
  const { lambdaFlushTimeoutMs, ...durations } = resolveDurations(r);
  r.settleRest();
  return {
    ...general,
    ...serviceTags,
    ...exporting,
    ...sampling,
    ...propagation,
    ...instrumentations,
    ...messaging,
    ...durations,
    lambda: { ...lambda, flushTimeoutMs: lambdaFlushTimeoutMs },
    warnings: [...notAnObject, ...r.warnings],
    inForce: r.inForce,
  };
}

function safeCall(read: () => string | undefined): string | undefined {
  try {
    const value = read();
    return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  } catch {
    return undefined;
  }
}

/** The `name` of the package.json in the working directory, where apps are normally started. */
function appPackageNameFromCwd(): string | undefined {
  const fromNpm = process.env.npm_package_name;
  if (fromNpm) return fromNpm;
  const pkg: unknown = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8'));
  const name = (pkg as { name?: unknown }).name;
  return typeof name === 'string' ? name : undefined;
}
