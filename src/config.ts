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
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeValue, optionText, type Parsed } from './env-values';
import { INSTRUMENTATION_NAMES } from './instrumentation-table';
import {
  OPTION_ONLY_SETTINGS,
  SETTINGS,
  defaultOf,
  type InstrumentationName,
  type LambdaParentPriority,
  type LambdaSamplingMode,
  type LogLevelName,
  type OptionSetting,
  type OtlpProtocol,
  type PropagatorName,
  type SamplerName,
  type Setting,
  type SettingName,
  type SettingValue,
  type StartOptions,
} from './settings';
import { redactUrl } from './url-redaction';

export type { InstrumentationName, LambdaParentPriority, LambdaSamplingMode, LogLevelName, OtlpProtocol, PropagatorName, SamplerName, StartOptions };

/** Where a value in force came from. */
export interface Origin {
  kind: 'option' | 'env' | 'default' | 'function tag';
  /** The option, variable or tag; for a default, what it was derived from (if anything). */
  name?: string;
  /** The entry inside a list variable (`service` in DD_TAGS). */
  entry?: string;
}

/** One line of the start-up debug report: a value in force (secrets redacted) and its origin. */
export interface SettingInForce {
  readonly field: string;
  readonly value: string;
  readonly origin: Origin;
}

export interface ResolvedConfig {
  disabled: boolean;
  logLevel: LogLevelName;
  /** Node >= 22.1: module.enableCompileCache() for our own code (OTEL_XRAY_DD_COMPILE_CACHE). */
  compileCache: boolean;
  service: string;
  env: string;
  version: string | undefined;
  /** Which of service/env/version fell through to the defaults (level 7); only those may be replaced by Lambda function tags. */
  defaulted: { service: boolean; env: boolean; version: boolean };
  /** Resource attributes from DD_TAGS / OTEL_RESOURCE_ATTRIBUTES / options, minus the three unified tags. */
  extraResourceAttributes: Record<string, string>;
  tracesEndpoint: string;
  /** OTLP encoding (OTEL_EXPORTER_OTLP_TRACES_PROTOCOL, then OTEL_EXPORTER_OTLP_PROTOCOL). */
  protocol: OtlpProtocol;
  /** Spans held while the receiver does not answer (OTEL_XRAY_DD_EXPORT_HELD_SPANS). */
  maxHeldSpans: number;
  /** `explicit`: OTEL_TRACES_SAMPLER was set (it then decides the Datadog priority of Lambda invocations). */
  sampler: { name: SamplerName; ratio: number; explicit: boolean };
  /** Extraction order; a later propagator's parent wins over an earlier one's. */
  propagators: PropagatorName[];
  datadogInjection: boolean;
  instrumentations: Set<InstrumentationName>;
  ec2Detector: boolean;
  lambda: {
    /** Set when running inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME present). */
    functionName: string | undefined;
    /** AWS_REGION, for the function-tags lookup. */
    region: string | undefined;
    flushTimeoutMs: number;
    parentPriority: LambdaParentPriority;
    /** What X-Ray's sampling decides (OTEL_XRAY_DD_LAMBDA_SAMPLING). */
    samplingMode: LambdaSamplingMode;
    /** Read the function's tags (GetFunction) at init and apply them to the resource (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS). */
    fetchTags: boolean;
  };
  shutdownTimeoutMs: number;
  exitHooks: boolean;
  /** Keep query strings in URL span attributes (off by default: they carry tokens). */
  keepUrlQuery: boolean;
  /** AWS SDK messaging opt-ins and the Lambda consumer's link bound. */
  messaging: { eventBridgeInject: boolean; kinesisInject: boolean; maxLinks: number };
  /** Problems found while resolving; each names the variable or option and what is used instead. */
  warnings: string[];
  /** Every value in force and where it came from, secrets redacted (see describeSettings). */
  inForce: readonly SettingInForce[];
}

/** What the public handle shows of the configuration (`handle.config`). */
export interface TracingConfig {
  /** Datadog `service` (resource `service.name`). */
  readonly service: string;
  /** Datadog `env` (resource `deployment.environment.name`). */
  readonly env: string;
  /** Datadog `version` (resource `service.version`); undefined when unset. */
  readonly version: string | undefined;
  /** The OTLP traces URL, with credentials and query string shown as `***`: safe to log. */
  readonly endpoint: string;
  /** False when tracing is off (OTEL_SDK_DISABLED=true, or start-up failed). */
  readonly enabled: boolean;
}

export function publicConfig(config: ResolvedConfig, enabled: boolean): TracingConfig {
  return Object.freeze({ service: config.service, env: config.env, version: config.version, endpoint: redactUrl(config.tracesEndpoint), enabled });
}

export const DEFAULT_PROPAGATORS: PropagatorName[] = defaultOf('OTEL_PROPAGATORS') ?? [];
export const ALL_INSTRUMENTATIONS: readonly InstrumentationName[] = INSTRUMENTATION_NAMES;

type Env = Readonly<Record<string, string | undefined>>;
type Found<T> = { value: T; origin: Origin };

const DEFAULT: Origin = { kind: 'default' };

/** A parser's result; a value whose inspection throws (a hostile Proxy given to start()) is unusable, not fatal. */
function safely<T>(parse: () => Parsed<T>): Parsed<T>;
function safely<T>(parse: () => Parsed<T> | undefined): Parsed<T> | undefined;
function safely<T>(parse: () => Parsed<T> | undefined): Parsed<T> | undefined {
  try {
    return parse();
  } catch {
    return { ok: false, reason: 'could not be read' };
  }
}
const UNREADABLE = Symbol('unreadable');

export function describeOrigin(origin: Origin): string {
  const entry = origin.entry !== undefined ? ` ${origin.entry}` : '';
  if (origin.kind === 'default') return origin.name !== undefined ? `default: ${origin.name}` : 'default';
  if (origin.kind === 'option') return `start() option ${origin.name ?? ''}`;
  return `${origin.kind === 'env' ? 'env' : 'function tag'} ${origin.name ?? ''}${entry}`;
}

/**
 * Reads settings through their declarations: a start() option first, then
 * the variable. A value that cannot be used is remembered until the caller
 * knows what is used instead (`settle`), so its one warning can say so.
 */
class Reader {
  readonly warnings: string[] = [];
  readonly inForce: SettingInForce[] = [];
  private readonly pending = new Map<string, { label: string; reason: string }[]>();

  constructor(
    private readonly env: Env,
    private readonly options: Readonly<Record<string, unknown>>,
  ) {}

  /** The setting's value from its option or its variable; undefined when neither is set and usable. */
  find<N extends SettingName>(name: N): Found<SettingValue<N>> | undefined {
    const declaration = SETTINGS[name] as unknown as Setting<SettingValue<N>>;
    for (const candidate of this.candidates(name, declaration)) {
      const parsed = candidate.text.ok ? safely(() => declaration.parse((candidate.text as { value: string }).value)) : candidate.text;
      if (!parsed.ok) {
        this.pending.set(name, [...(this.pending.get(name) ?? []), { label: candidate.label, reason: parsed.reason }]);
        continue;
      }
      if (parsed.partial) this.warn(candidate.label, parsed.partial.reason, parsed.partial.using);
      return { value: parsed.value, origin: candidate.origin };
    }
    return undefined;
  }

  /** find(), else the declared default; settles the setting's warnings and records it as `field`. */
  get<N extends SettingName>(name: N, field: string): Found<SettingValue<N>> {
    const found = this.find(name) ?? { value: defaultOf(name) as SettingValue<N>, origin: DEFAULT };
    const show = (value: SettingValue<N>): string => this.show(name, value);
    this.settle([name], this.using(found, show));
    this.record(field, found, show);
    return found;
  }

  /** A start() option that has no variable (declared in OPTION_ONLY_SETTINGS). */
  option<T>(name: keyof typeof OPTION_ONLY_SETTINGS, declaration: OptionSetting<T>): Found<T> | undefined {
    const value = this.optionValue(name);
    const parsed = value === UNREADABLE ? { ok: false as const, reason: 'could not be read' } : safely(() => declaration.parse(value));
    const label = `start({ ${name} })`;
    if (parsed === undefined) return undefined;
    if (!parsed.ok) {
      this.warn(label, parsed.reason, declaration.default !== undefined ? declaration.show(declaration.default) : declaration.defaultNote);
      return undefined;
    }
    if (parsed.partial) this.warn(label, parsed.partial.reason, parsed.partial.using);
    return { value: parsed.value, origin: { kind: 'option', name } };
  }

  /** Warns about the unusable values of `names`, now that what is used instead is known. */
  settle(names: readonly string[], using: string): void {
    for (const name of names) {
      for (const { label, reason } of this.pending.get(name) ?? []) this.warn(label, reason, using);
      this.pending.delete(name);
    }
  }

  /** Settles whatever a resolver left pending (none should be). */
  settleRest(): void {
    this.settle([...this.pending.keys()], 'the next source in precedence order');
  }

  record<T>(field: string, found: Found<T>, show: (value: T) => string): void {
    this.inForce.push({ field, value: show(found.value), origin: found.origin });
  }

  using<T>(found: Found<T>, show: (value: T) => string): string {
    return found.origin.kind === 'default' && found.origin.name === undefined ? show(found.value) : `${show(found.value)} (${describeOrigin(found.origin)})`;
  }

  show<N extends SettingName>(name: N, value: SettingValue<N>): string {
    const declaration = SETTINGS[name] as unknown as Setting<SettingValue<N>>;
    return declaration.secret ? '<redacted>' : declaration.show(value);
  }

  /** Variables read by the OpenTelemetry packages themselves, when set: listed for the debug report only. */
  recordPassThrough(): void {
    for (const [name, declaration] of Object.entries(SETTINGS) as [SettingName, Pick<Setting<unknown>, 'readBy' | 'secret'>][]) {
      const raw = declaration.readBy === 'sdk' ? this.env[name] : undefined;
      if (raw !== undefined && raw.trim() !== '') this.inForce.push({ field: name, value: declaration.secret ? '<redacted>' : raw.trim().slice(0, 200), origin: { kind: 'env', name } });
    }
  }

  private warn(label: string, reason: string, using: string): void {
    this.warnings.push(`${label}: ${reason}; using ${using}`);
  }

  private *candidates(name: SettingName, declaration: Pick<Setting<unknown>, 'option'>): Generator<{ label: string; origin: Origin; text: Parsed<string> }> {
    if (declaration.option !== undefined) {
      const option = declaration.option.name;
      const value = this.optionValue(option);
      const kind = declaration.option.kind;
      const text = value === UNREADABLE ? { ok: false as const, reason: 'could not be read' } : safely(() => optionText(kind, value));
      if (text !== undefined) yield { label: `start({ ${option} })`, origin: { kind: 'option', name: option }, text };
    }
    const raw = this.env[name];
    if (typeof raw === 'string' && raw.trim() !== '') yield { label: name, origin: { kind: 'env', name }, text: { ok: true, value: raw } };
  }

  private optionValue(name: string): unknown {
    try {
      return this.options[name];
    } catch {
      return UNREADABLE;
    }
  }
}

// --- resolvers, one per concern --------------------------------------------------

function resolveGeneral(r: Reader): Pick<ResolvedConfig, 'disabled' | 'logLevel' | 'compileCache'> {
  return {
    disabled: r.get('OTEL_SDK_DISABLED', 'disabled').value,
    logLevel: r.get('OTEL_LOG_LEVEL', 'logLevel').value,
    compileCache: r.get('OTEL_XRAY_DD_COMPILE_CACHE', 'compileCache').value,
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
  const service = pick(r, 'service', ['DD_SERVICE', 'OTEL_SERVICE_NAME'], [r.find('DD_SERVICE'), r.find('OTEL_SERVICE_NAME'), inList(ddTags, 'service'), inList(otelAttrs, 'service.name')], defaultService());
  const env = pick(r, 'env', ['DD_ENV'], [r.find('DD_ENV'), inList(ddTags, 'env'), inList(otelAttrs, 'deployment.environment.name', 'deployment.environment')], { value: 'none', origin: DEFAULT });
  const version = pick<string | undefined>(r, 'version', ['DD_VERSION'], [r.find('DD_VERSION'), inList(ddTags, 'version'), inList(otelAttrs, 'service.version')], { value: undefined, origin: DEFAULT });

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

function resolveExport(r: Reader): Pick<ResolvedConfig, 'tracesEndpoint' | 'protocol' | 'maxHeldSpans'> {
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
  return { tracesEndpoint: endpoint.value, protocol: protocol.value, maxHeldSpans: r.get('OTEL_XRAY_DD_EXPORT_HELD_SPANS', 'maxHeldSpans').value };
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

function resolveInstrumentations(r: Reader): Pick<ResolvedConfig, 'instrumentations' | 'ec2Detector' | 'keepUrlQuery'> {
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
  return { instrumentations, ec2Detector, keepUrlQuery: r.get('OTEL_XRAY_DD_HTTP_KEEP_QUERY', 'keepUrlQuery').value };
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
  const general = resolveGeneral(r);
  const lambda = resolveLambda(r);
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
