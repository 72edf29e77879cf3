/**
 * The one place that turns environment variables and start() options into a
 * resolved configuration. Everything else receives a ResolvedConfig and never
 * reads process.env for its own settings.
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
 */
import { readFileSync } from 'node:fs';
import { INSTRUMENTATION_NAMES, instrumentationNamed, type InstrumentationName } from './instrumentation-table';
import { join } from 'node:path';
import {
  parseBoolean,
  parseDdTags,
  parseHttpUrl,
  parseList,
  parseNonNegativeInt,
  parseRatio,
  parseResourceAttributes,
  preview,
} from './env-values';

export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

export type { InstrumentationName };
export type PropagatorName = 'tracecontext' | 'baggage' | 'xray' | 'datadog';
export type LogLevelName = 'none' | 'error' | 'warn' | 'info' | 'debug' | 'verbose' | 'all';
/** Which parent an invocation span takes when both Lambda's X-Ray env context and event headers carry one. */
export type LambdaParentPriority = 'xray-env' | 'headers';

export interface StartOptions {
  serviceName?: string;
  env?: string;
  version?: string;
  /** Extra resource attributes; they become Datadog span tags. */
  resourceAttributes?: Record<string, string>;
  /** Full OTLP/HTTP traces URL, e.g. http://localhost:4318/v1/traces. */
  tracesEndpoint?: string;
  propagators?: PropagatorName[];
  instrumentations?: InstrumentationName[];
  lambdaFlushTimeoutMs?: number;
  lambdaParentPriority?: LambdaParentPriority;
  /** Bound on the flush done at SIGTERM / beforeExit / shutdown(). */
  shutdownTimeoutMs?: number;
  /** Install SIGTERM and beforeExit flush hooks (default true). */
  exitHooks?: boolean;
}

export interface ResolvedConfig {
  disabled: boolean;
  logLevel: LogLevelName;
  service: string;
  env: string;
  version: string | undefined;
  /** Which of service/env/version fell through to the defaults (level 7); only those may be replaced by Lambda function tags. */
  defaulted: { service: boolean; env: boolean; version: boolean };
  /** Resource attributes from DD_TAGS / OTEL_RESOURCE_ATTRIBUTES / options, minus the three unified tags. */
  extraResourceAttributes: Record<string, string>;
  tracesEndpoint: string;
  sampler: { name: SamplerName; ratio: number };
  /** Extraction order; a later propagator's parent wins over an earlier one's. */
  propagators: PropagatorName[];
  datadogInjection: boolean;
  instrumentations: Set<InstrumentationName>;
  ec2Detector: boolean;
  lambda: {
    /** Set when running inside AWS Lambda (AWS_LAMBDA_FUNCTION_NAME present). */
    functionName: string | undefined;
    flushTimeoutMs: number;
    parentPriority: LambdaParentPriority;
    /** Read the function's tags (GetFunction) at init and apply them to the resource (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS). */
    fetchTags: boolean;
  };
  shutdownTimeoutMs: number;
  exitHooks: boolean;
  /** Keep query strings in URL span attributes (off by default: they carry tokens). */
  keepUrlQuery: boolean;
  /** Problems found while resolving; each names the variable and the default used. */
  warnings: string[];
}

export const DEFAULT_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';
export const DEFAULT_PROPAGATORS: PropagatorName[] = ['xray', 'datadog', 'tracecontext', 'baggage'];
export const ALL_INSTRUMENTATIONS: readonly InstrumentationName[] = INSTRUMENTATION_NAMES;
const SAMPLERS: SamplerName[] = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];
const LOG_LEVELS: LogLevelName[] = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'];
const PROPAGATORS: PropagatorName[] = ['tracecontext', 'baggage', 'xray', 'datadog'];
const MAX_TIMEOUT_MS = 60_000;

type Env = Readonly<Record<string, string | undefined>>;

export function resolveConfig(
  env: Env = process.env,
  options: StartOptions = {},
  readAppPackageName: () => string | undefined = appPackageNameFromCwd,
): ResolvedConfig {
  const warnings: string[] = [];
  const warn = (variable: string, problem: string, fallback: string): void => {
    warnings.push(`${variable}: ${problem}; using ${fallback}`);
  };
  const text = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };

  const flag = (variable: string, fallbackText: string): boolean => {
    const raw = text(variable);
    if (raw === undefined) return false;
    const parsed = parseBoolean(raw);
    if (parsed.ok) return parsed.value;
    warn(variable, parsed.reason, fallbackText);
    return false;
  };

  const disabled = flag('OTEL_SDK_DISABLED', 'false (tracing on)');

  let logLevel: LogLevelName = 'warn';
  const logLevelRaw = text('OTEL_LOG_LEVEL');
  if (logLevelRaw !== undefined) {
    const lower = logLevelRaw.toLowerCase() as LogLevelName;
    if (LOG_LEVELS.includes(lower)) logLevel = lower;
    else warn('OTEL_LOG_LEVEL', `"${preview(logLevelRaw)}" is not one of ${LOG_LEVELS.join(', ')}`, 'warn');
  }

  // --- unified service tags -------------------------------------------------
  let ddTags: Record<string, string> = {};
  const ddTagsRaw = text('DD_TAGS');
  if (ddTagsRaw !== undefined) {
    const parsed = parseDdTags(ddTagsRaw);
    ddTags = parsed.tags;
    if (parsed.rejected.length > 0) {
      warn('DD_TAGS', `ignored malformed entries (${parsed.rejected.slice(0, 3).join(' | ')}); expected key:value`, 'the well-formed entries only');
    }
  }
  let otelAttrs: Record<string, string> = {};
  const otelAttrsRaw = env.OTEL_RESOURCE_ATTRIBUTES;
  if (otelAttrsRaw !== undefined) {
    const parsed = parseResourceAttributes(otelAttrsRaw);
    if (parsed.ok) otelAttrs = parsed.value;
    else warn('OTEL_RESOURCE_ATTRIBUTES', parsed.reason, 'none of its attributes');
  }

  const functionName = text('AWS_LAMBDA_FUNCTION_NAME');
  // Levels 1-5 first, the defaults (level 7) apart, so we know which values are defaults.
  const explicitService =
    nonEmpty(options.serviceName) ?? text('DD_SERVICE') ?? text('OTEL_SERVICE_NAME') ?? ddTags.service ?? otelAttrs['service.name'];
  const explicitEnv =
    nonEmpty(options.env) ??
    text('DD_ENV') ??
    ddTags.env ??
    otelAttrs['deployment.environment.name'] ??
    otelAttrs['deployment.environment'];
  const version =
    nonEmpty(options.version) ?? text('DD_VERSION') ?? ddTags.version ?? otelAttrs['service.version'];
  const service = explicitService ?? functionName ?? safeCall(readAppPackageName) ?? 'unknown_service:node';
  const deploymentEnv = explicitEnv ?? 'none';
  const defaulted = { service: explicitService === undefined, env: explicitEnv === undefined, version: version === undefined };

  const extraResourceAttributes: Record<string, string> = { ...otelAttrs, ...ddTags, ...options.resourceAttributes };
  for (const key of ['service', 'env', 'version', 'service.name', 'service.version', 'deployment.environment', 'deployment.environment.name']) {
    delete extraResourceAttributes[key];
  }

  // --- export -----------------------------------------------------------------
  let tracesEndpoint = DEFAULT_TRACES_ENDPOINT;
  const endpointSource = [
    { name: 'start({ tracesEndpoint })', raw: nonEmpty(options.tracesEndpoint), append: false },
    { name: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', raw: text('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'), append: false },
    // The generic endpoint is a base URL: the signal path is appended (OTLP exporter spec).
    { name: 'OTEL_EXPORTER_OTLP_ENDPOINT', raw: text('OTEL_EXPORTER_OTLP_ENDPOINT'), append: true },
  ].find((candidate) => candidate.raw !== undefined);
  if (endpointSource) {
    const parsed = parseHttpUrl(endpointSource.raw as string);
    if (parsed.ok) {
      tracesEndpoint = endpointSource.append ? `${parsed.value.replace(/\/+$/, '')}/v1/traces` : parsed.value;
    } else {
      warn(endpointSource.name, parsed.reason, DEFAULT_TRACES_ENDPOINT);
    }
  }
  // Both OTLP/HTTP encodings reach the same collector endpoint; we send JSON. gRPC is not shipped.
  const protocol = text('OTEL_EXPORTER_OTLP_TRACES_PROTOCOL') ?? text('OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol !== undefined && !['http/json', 'http/protobuf'].includes(protocol.toLowerCase())) {
    warn('OTEL_EXPORTER_OTLP_PROTOCOL', `"${preview(protocol)}" is not supported by this distribution`, 'http/json');
  }

  // --- sampling ---------------------------------------------------------------
  let samplerName: SamplerName = 'parentbased_always_on';
  const samplerRaw = text('OTEL_TRACES_SAMPLER');
  if (samplerRaw !== undefined) {
    const lower = samplerRaw.toLowerCase() as SamplerName;
    if (SAMPLERS.includes(lower)) samplerName = lower;
    else warn('OTEL_TRACES_SAMPLER', `"${preview(samplerRaw)}" is not one of ${SAMPLERS.join(', ')}`, 'parentbased_always_on');
  }
  let ratio = 1;
  const ratioRaw = text('OTEL_TRACES_SAMPLER_ARG');
  if (ratioRaw !== undefined && samplerName.endsWith('traceidratio')) {
    const parsed = parseRatio(ratioRaw);
    if (parsed.ok) ratio = parsed.value;
    else warn('OTEL_TRACES_SAMPLER_ARG', parsed.reason, 'ratio 1.0');
  }

  // --- propagation ------------------------------------------------------------
  let propagators = options.propagators ?? DEFAULT_PROPAGATORS;
  let explicitPropagators = options.propagators !== undefined;
  const propagatorsRaw = options.propagators ? undefined : text('OTEL_PROPAGATORS');
  if (propagatorsRaw !== undefined) {
    const listed = parseList(propagatorsRaw);
    const chosen: PropagatorName[] = [];
    const unknown: string[] = [];
    for (const name of listed) {
      // xray-lambda is accepted for compatibility: our Lambda glue already
      // reads _X_AMZN_TRACE_ID for invocation spans, so it behaves as xray.
      const canonical = name === 'xray-lambda' ? 'xray' : name;
      if (canonical === 'none') continue;
      if (!PROPAGATORS.includes(canonical as PropagatorName)) unknown.push(preview(name));
      else if (!chosen.includes(canonical as PropagatorName)) chosen.push(canonical as PropagatorName);
    }
    const usable = chosen.length > 0 || listed.includes('none');
    if (unknown.length > 0) {
      const fallback = usable ? chosen.join(',') || 'none' : DEFAULT_PROPAGATORS.join(',');
      warn('OTEL_PROPAGATORS', `unknown propagator(s) ${unknown.join(', ')} (known: ${PROPAGATORS.join(', ')}, none)`, fallback);
    }
    if (usable) {
      propagators = chosen;
      explicitPropagators = true;
    }
  }

  // --- instrumentations -------------------------------------------------------
  const instrumentations = new Set<InstrumentationName>(options.instrumentations ?? ALL_INSTRUMENTATIONS);
  if (!options.instrumentations) {
    const selectFrom = (variable: string): InstrumentationName[] | undefined => {
      const raw = text(variable);
      if (raw === undefined) return undefined;
      const names: InstrumentationName[] = [];
      const unknown: string[] = [];
      for (const name of parseList(raw)) {
        if (name === 'none') continue;
        const known = instrumentationNamed(name);
        if (known !== undefined) names.push(known);
        else unknown.push(preview(name));
      }
      if (unknown.length > 0) warn(variable, `unknown instrumentation(s) ${unknown.join(', ')} (known: ${ALL_INSTRUMENTATIONS.join(', ')})`, 'the known ones only');
      return names;
    };
    const enabled = selectFrom('OTEL_NODE_ENABLED_INSTRUMENTATIONS');
    if (enabled) {
      instrumentations.clear();
      for (const name of enabled) instrumentations.add(name);
    }
    for (const name of selectFrom('OTEL_NODE_DISABLED_INSTRUMENTATIONS') ?? []) instrumentations.delete(name);
  }

  const detectorsRaw = text('OTEL_NODE_RESOURCE_DETECTORS');
  const ec2Detector = detectorsRaw !== undefined && parseList(detectorsRaw).some((d) => d === 'ec2' || d === 'aws' || d === 'all');

  // --- timeouts ---------------------------------------------------------------
  const duration = (variable: string, fromOptions: number | undefined, fallback: number): number => {
    if (fromOptions !== undefined) {
      return Number.isFinite(fromOptions) && fromOptions >= 0 ? Math.min(fromOptions, MAX_TIMEOUT_MS) : fallback;
    }
    const raw = text(variable);
    if (raw === undefined) return fallback;
    const parsed = parseNonNegativeInt(raw, MAX_TIMEOUT_MS);
    if (parsed.ok) return parsed.value;
    warn(variable, parsed.reason, `${fallback} ms`);
    return fallback;
  };
  const lambdaFlushTimeoutMs = duration('OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS', options.lambdaFlushTimeoutMs, 1000);
  const shutdownTimeoutMs = duration('OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS', options.shutdownTimeoutMs, 2000);

  let parentPriority: LambdaParentPriority = options.lambdaParentPriority ?? 'xray-env';
  const priorityRaw = options.lambdaParentPriority ? undefined : text('OTEL_XRAY_DD_LAMBDA_PARENT');
  if (priorityRaw !== undefined) {
    const lower = priorityRaw.toLowerCase();
    if (lower === 'xray-env' || lower === 'headers') parentPriority = lower;
    else warn('OTEL_XRAY_DD_LAMBDA_PARENT', `"${preview(priorityRaw)}" is not xray-env or headers`, 'xray-env');
  }

  const keepUrlQuery = flag('OTEL_XRAY_DD_HTTP_KEEP_QUERY', 'false (query strings removed)');
  const fetchTags = flag('OTEL_XRAY_DD_LAMBDA_FETCH_TAGS', 'false (function tags not read)');

  return {
    disabled,
    logLevel,
    service,
    env: deploymentEnv,
    version,
    defaulted,
    extraResourceAttributes,
    tracesEndpoint,
    sampler: { name: samplerName, ratio },
    propagators,
    // Datadog headers are always read, but only written when asked for: the
    // W3C headers already reach recent dd-trace, and extra headers cost bytes
    // on every outgoing request.
    datadogInjection: explicitPropagators && propagators.includes('datadog'),
    instrumentations,
    ec2Detector,
    lambda: { functionName, flushTimeoutMs: lambdaFlushTimeoutMs, parentPriority, fetchTags },
    shutdownTimeoutMs,
    exitHooks: options.exitHooks ?? true,
    keepUrlQuery,
    warnings,
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}

function safeCall(read: () => string | undefined): string | undefined {
  try {
    return nonEmpty(read());
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
