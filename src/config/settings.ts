/**
 * Every setting this distribution knows, declared once: the variable, how its
 * value is parsed, its default, what it means, whether it is secret, and the
 * start() option that sets the same thing. Everything else is derived from
 * this table: the typed lookups in config/resolve-config.ts, the
 * configuration table in docs/configuration.md (checked by
 * test/unit/config/settings.test.mjs, rewritten by
 * `node scripts/settings-table.mjs --write`), the env fuzz test, the start-up
 * debug lines. A variable that is not declared here is not read.
 *
 * A start() option is coerced to the text its variable would hold and checked
 * by the same parser; it wins over the variable. A value that cannot be used
 * is treated as unset: one warning names the variable or option and what is
 * used instead.
 */
import { INSTRUMENTATION_NAMES, instrumentationNamed, type InstrumentationName } from '../loading/instrumentation-catalog';
import {
  ok,
  parseAttributeRecord,
  parseBoolean,
  parseDdTagsSetting,
  parseHttpUrl,
  parseMilliseconds,
  parseNameList,
  parseNonNegativeInt,
  parseOneOf,
  parseRatio,
  parseResourceAttributes,
  parseText,
  type Parsed,
} from './env-values';
import { sdkSetting, setting, type Setting } from './setting-declaration';
import {
  LAMBDA_PARENT_PRIORITIES,
  LAMBDA_SAMPLING_MODES,
  LOG_LEVELS,
  MAX_HELD_SPANS,
  MAX_LAMBDA_LINKS,
  MAX_TIMEOUT_MS,
  PROPAGATORS,
  PROTOCOLS,
  RESOURCE_DETECTORS,
  SAMPLERS,
  type OptionName,
  type PropagatorName,
  type ResourceDetectorName,
} from './setting-values';
import { redactUrl } from './url-redaction';

export type { InstrumentationName };
export * from './setting-values';
export type { Concern, Setting } from './setting-declaration';

const ms = (value: number): string => `${value} ms`;
const duration = parseMilliseconds(MAX_TIMEOUT_MS);
const showAttributes = (value: Record<string, string>): string => Object.keys(value).join(',') || '(none)';

export const SETTINGS = {
  // --- general ------------------------------------------------------------------
  OTEL_SDK_DISABLED: setting({
    concern: 'general',
    description: '`true`: nothing starts beyond reading the configuration: no SDK, no instrumentation, no headers injected',
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_LOG_LEVEL: setting({
    concern: 'general',
    description: 'our diagnostics and the OTel diag logger (`none` … `all`); `debug` also prints each setting in force and where it came from',
    default: 'warn',
    parse: parseOneOf(LOG_LEVELS),
  }),
  OTEL_XRAY_DD_COMPILE_CACHE: setting({
    concern: 'general',
    description:
      'Node ≥ 22.1: the preload calls `module.enableCompileCache()`, so V8 code of every module loaded after it (our bundles, the instrumentation chunks, the app) is cached in `NODE_COMPILE_CACHE` or the OS temp dir and later start-ups skip compiling it. Off in Lambda, where each sandbox starts Node once with an empty `/tmp` and is killed before Node writes the cache: there it would only cost (the layer ships its own code cache)',
    defaultNote: '`true`; `false` in Lambda',
    parse: parseBoolean,
  }),

  // --- service tags ---------------------------------------------------------------
  DD_SERVICE: setting({
    concern: 'service tags',
    description: 'Datadog unified tag `service` (resource `service.name`)',
    defaultNote: 'see [unified tags](#unified-service-tags)',
    option: { name: 'serviceName', kind: 'string' },
    parse: parseText,
  }),
  DD_ENV: setting({
    concern: 'service tags',
    description: 'Datadog unified tag `env` (resource `deployment.environment.name` and `deployment.environment`)',
    defaultNote: 'see [unified tags](#unified-service-tags)',
    option: { name: 'env', kind: 'string' },
    parse: parseText,
  }),
  DD_VERSION: setting({
    concern: 'service tags',
    description: 'Datadog unified tag `version` (resource `service.version`)',
    defaultNote: 'see [unified tags](#unified-service-tags)',
    option: { name: 'version', kind: 'string' },
    parse: parseText,
  }),
  DD_TAGS: setting({
    concern: 'service tags',
    description:
      '`k:v` separated by commas (or spaces when there is no comma); `service`, `env`, `version` are unified tags, other keys become resource attributes (span tags in Datadog)',
    defaultNote: 'none',
    parse: parseDdTagsSetting,
    show: showAttributes,
  }),
  OTEL_SERVICE_NAME: setting({
    concern: 'service tags',
    description: 'the OpenTelemetry `service.name`',
    defaultNote: 'see [unified tags](#unified-service-tags)',
    parse: parseText,
  }),
  OTEL_RESOURCE_ATTRIBUTES: setting({
    concern: 'service tags',
    description:
      '`k=v` separated by commas, values percent-encoded; `service.name`, `deployment.environment.name`, `deployment.environment`, `service.version` are unified tags, other keys become resource attributes',
    defaultNote: 'none',
    parse: parseResourceAttributes,
    show: showAttributes,
  }),

  // --- export -------------------------------------------------------------------
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: setting({
    concern: 'export',
    description: 'full OTLP/HTTP traces URL; must be http(s)',
    defaultNote: '`OTEL_EXPORTER_OTLP_ENDPOINT` + `/v1/traces`',
    option: { name: 'tracesEndpoint', kind: 'string' },
    parse: parseHttpUrl,
    show: redactUrl,
  }),
  OTEL_EXPORTER_OTLP_ENDPOINT: setting({
    concern: 'export',
    description: 'collector base URL (`/v1/traces` is appended); must be http(s)',
    default: 'http://localhost:4318',
    parse: parseHttpUrl,
    show: redactUrl,
  }),
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: setting({
    concern: 'export',
    description: 'OTLP encoding for traces, as `OTEL_EXPORTER_OTLP_PROTOCOL`',
    defaultNote: '`OTEL_EXPORTER_OTLP_PROTOCOL`',
    parse: parseOneOf(PROTOCOLS, { grpc: 'is not supported by this distribution (http/protobuf, http/json)' }),
  }),
  OTEL_EXPORTER_OTLP_PROTOCOL: setting({
    concern: 'export',
    description: '`http/protobuf` or `http/json` (OTLP over HTTP); `grpc` is not supported by this distribution',
    default: 'http/protobuf',
    parse: parseOneOf(PROTOCOLS, { grpc: 'is not supported by this distribution (http/protobuf, http/json)' }),
  }),
  OTEL_EXPORTER_OTLP_HEADERS: sdkSetting('export', '`k=v` headers sent with every export (read by the OTLP exporter)', { defaultNote: 'none' }, true),
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: sdkSetting('export', 'as `OTEL_EXPORTER_OTLP_HEADERS`, for traces (read by the OTLP exporter)', { defaultNote: 'none' }, true),
  OTEL_EXPORTER_OTLP_CERTIFICATE: setting({
    concern: 'export',
    description: "PEM file of the CA(s) that sign the receiver's certificate, for an `https` endpoint with a private CA (the system's CAs otherwise)",
    defaultNote: 'none',
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE: setting({
    concern: 'export',
    description: 'as `OTEL_EXPORTER_OTLP_CERTIFICATE`, for traces',
    defaultNote: '`OTEL_EXPORTER_OTLP_CERTIFICATE`',
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE: setting({
    concern: 'export',
    description: 'PEM file of our client certificate, for a receiver that requires mutual TLS (with `OTEL_EXPORTER_OTLP_CLIENT_KEY`)',
    defaultNote: 'none',
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE: setting({
    concern: 'export',
    description: 'as `OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`, for traces',
    defaultNote: '`OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE`',
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_CLIENT_KEY: setting({
    concern: 'export',
    description: "PEM file of the client certificate's private key; its path is not printed",
    defaultNote: 'none',
    secret: true,
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: setting({
    concern: 'export',
    description: 'as `OTEL_EXPORTER_OTLP_CLIENT_KEY`, for traces',
    defaultNote: '`OTEL_EXPORTER_OTLP_CLIENT_KEY`',
    secret: true,
    parse: parseText,
  }),
  OTEL_EXPORTER_OTLP_TIMEOUT: sdkSetting('export', 'ms per export request (read by the OTLP exporter)', { default: '10000' }),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: sdkSetting('export', 'as `OTEL_EXPORTER_OTLP_TIMEOUT`, for traces (read by the OTLP exporter)', {
    defaultNote: '`OTEL_EXPORTER_OTLP_TIMEOUT`',
  }),
  OTEL_EXPORTER_OTLP_COMPRESSION: sdkSetting('export', '`gzip` or `none` (read by the OTLP exporter)', { default: 'none' }),
  OTEL_EXPORTER_OTLP_TRACES_COMPRESSION: sdkSetting('export', 'as `OTEL_EXPORTER_OTLP_COMPRESSION`, for traces (read by the OTLP exporter)', {
    defaultNote: '`OTEL_EXPORTER_OTLP_COMPRESSION`',
  }),
  OTEL_BSP_SCHEDULE_DELAY: sdkSetting('export', 'ms between batch exports (read by the batch span processor)', { default: '5000' }),
  OTEL_BSP_EXPORT_TIMEOUT: sdkSetting('export', 'ms a batch export may take (read by the batch span processor)', { default: '30000' }),
  OTEL_BSP_MAX_QUEUE_SIZE: sdkSetting('export', 'spans held while export is slow; more are dropped (read by the batch span processor)', { default: '2048' }),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: sdkSetting('export', 'spans per export request (read by the batch span processor)', { default: '512' }),
  OTEL_XRAY_DD_EXPORT_HELD_SPANS: setting({
    concern: 'export',
    description: `spans held while the receiver is unreachable, hung or slow, sent when it answers again; beyond this the oldest are dropped, counted and reported once per outage (0 to ${MAX_HELD_SPANS})`,
    default: '2048',
    parse: (raw: string) => parseNonNegativeInt(raw, MAX_HELD_SPANS),
  }),

  // --- sampling -----------------------------------------------------------------
  OTEL_TRACES_SAMPLER: setting({
    concern: 'sampling',
    description:
      'standard samplers (`always_on`, `always_off`, `traceidratio`, `parentbased_always_on`, `parentbased_always_off`, `parentbased_traceidratio`); parent-based honours an incoming `Sampled=0`',
    default: 'parentbased_always_on',
    parse: parseOneOf(SAMPLERS),
  }),
  OTEL_TRACES_SAMPLER_ARG: setting({
    concern: 'sampling',
    description: 'the ratio in [0, 1] of the `traceidratio` samplers',
    default: '1.0',
    parse: parseRatio,
    show: (ratio) => `ratio ${Number.isInteger(ratio) ? ratio.toFixed(1) : ratio}`,
  }),

  // --- propagation --------------------------------------------------------------
  OTEL_PROPAGATORS: setting({
    concern: 'propagation',
    description:
      'extraction order (a later valid parent wins); also `xray-lambda` (= `xray`), `none`; Datadog headers are written only when `datadog` is listed explicitly; see [propagation](#trace-ids-and-propagation)',
    default: 'xray,datadog,tracecontext,baggage',
    option: { name: 'propagators', kind: 'list' },
    parse: parseNameList<PropagatorName>({
      noun: 'propagator',
      known: [...PROPAGATORS, 'xray-lambda'],
      // xray-lambda is accepted for compatibility: our Lambda glue already
      // reads the invocation's X-Ray context, so it behaves as xray.
      canonical: (name) => (name === 'xray-lambda' ? 'xray' : PROPAGATORS.find((known) => known === name)),
      rejectWhenNoneKnown: true,
    }),
  }),

  // --- instrumentations ---------------------------------------------------------
  OTEL_NODE_ENABLED_INSTRUMENTATIONS: setting({
    concern: 'instrumentations',
    description:
      'comma list of names (`express`) or packages (`@opentelemetry/instrumentation-express`); `none` is accepted; the `instrumentations` option replaces both variables',
    defaultNote: 'all of [the table](instrumentations.md#what-is-traced)',
    option: { name: 'instrumentations', kind: 'list' },
    parse: parseNameList<InstrumentationName>({ noun: 'instrumentation', known: INSTRUMENTATION_NAMES, canonical: instrumentationNamed, rejectWhenNoneKnown: false }),
  }),
  OTEL_NODE_DISABLED_INSTRUMENTATIONS: setting({
    concern: 'instrumentations',
    description: 'names or packages taken out of the enabled ones',
    defaultNote: 'none',
    parse: parseNameList<InstrumentationName>({ noun: 'instrumentation', known: INSTRUMENTATION_NAMES, canonical: instrumentationNamed, rejectWhenNoneKnown: false }),
  }),
  OTEL_NODE_RESOURCE_DETECTORS: setting({
    concern: 'instrumentations',
    description:
      '`ec2` (or `aws`, `all`) opts into the EC2 metadata detector; the host, process, ECS and Lambda detectors run by themselves where they apply (`env`, `host`, `process`, `ecs`, `lambda`, `none` are accepted)',
    defaultNote: 'none: no EC2 metadata probe',
    parse: parseNameList<ResourceDetectorName>({
      noun: 'resource detector',
      known: RESOURCE_DETECTORS,
      canonical: (name) => RESOURCE_DETECTORS.find((known) => known === name),
      rejectWhenNoneKnown: true,
    }),
  }),
  OTEL_XRAY_DD_DB_KEEP_STATEMENTS: setting({
    concern: 'instrumentations',
    description:
      '`true`: keep SQL statements as the app wrote them, literals included, in `db.query.text`/`db.statement` (by default every string and number literal becomes `?`). The risk: personal data and secrets written into SQL reach Datadog',
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_DB_KEEP_COMMANDS: setting({
    concern: 'instrumentations',
    description:
      '`true`: keep Redis/memcached keys in `db.query.text`/`db.statement` (by default only the command; values are never recorded). The risk: tokens in keys reach Datadog',
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_HTTP_KEEP_QUERY: setting({
    concern: 'instrumentations',
    description: 'keep query strings in `url.full`/`url.query`/`http.target` span attributes',
    default: 'false',
    parse: parseBoolean,
  }),

  // --- messaging ----------------------------------------------------------------
  OTEL_XRAY_DD_EVENTBRIDGE_INJECT: setting({
    concern: 'messaging',
    description: '`true`: EventBridge `PutEvents` entries whose `Detail` is a JSON object get our context as `detail._datadog` (this changes the event)',
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_KINESIS_INJECT: setting({
    concern: 'messaging',
    description: '`true`: Kinesis `PutRecord`/`PutRecords` data that is a JSON object gets our context as `_datadog` (this changes the record)',
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_LAMBDA_MAX_LINKS: setting({
    concern: 'messaging',
    description: `most span links a Lambda consumer span takes from one event, one per record with a context (0 to ${MAX_LAMBDA_LINKS})`,
    default: '128',
    parse: (raw: string) => parseNonNegativeInt(raw, MAX_LAMBDA_LINKS),
  }),

  // --- durations ----------------------------------------------------------------
  OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS: setting({
    concern: 'durations',
    description: `bound on the flush at SIGTERM / \`beforeExit\` / \`shutdown()\` (at most ${MAX_TIMEOUT_MS})`,
    default: '2000',
    option: { name: 'shutdownTimeoutMs', kind: 'number' },
    parse: duration,
    show: ms,
  }),
  OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS: setting({
    concern: 'durations',
    description: `bound on the flush before each invocation returns (also at most half the remaining time; at most ${MAX_TIMEOUT_MS})`,
    default: '1000',
    option: { name: 'lambdaFlushTimeoutMs', kind: 'number' },
    parse: duration,
    show: ms,
  }),

  // --- lambda -------------------------------------------------------------------
  AWS_LAMBDA_FUNCTION_NAME: setting({
    concern: 'lambda',
    description: 'the function name: the process is a Lambda function (handler wrapper, Lambda detector), and the default `service`',
    defaultNote: 'set by Lambda',
    setBy: 'lambda',
    parse: parseText,
  }),
  AWS_REGION: setting({
    concern: 'lambda',
    description: 'the region of the function-tags lookup',
    defaultNote: 'set by Lambda',
    setBy: 'lambda',
    parse: parseText,
  }),
  OTEL_XRAY_DD_LAMBDA_PARENT: setting({
    concern: 'lambda',
    description: "which parent wins in Lambda when both exist: the X-Ray segment (`xray-env`) or the event's headers (`headers`)",
    default: 'xray-env',
    option: { name: 'lambdaParentPriority', kind: 'string' },
    parse: parseOneOf(LAMBDA_PARENT_PRIORITIES),
  }),
  OTEL_XRAY_DD_LAMBDA_SAMPLING: setting({
    concern: 'lambda',
    description:
      "`all`: every invocation is exported whatever X-Ray sampled, with Datadog's sampling priority from the event's upstream decision, else `OTEL_TRACES_SAMPLER` when set, else keep; " +
      "`xray-priority`: the same, but X-Ray's `Sampled` flag sets the priority when nothing upstream or configured did; `xray`: strict, an invocation X-Ray did not sample exports nothing (the behaviour before 0.2); see [sampling](lambda.md#sampling-what-reaches-datadog)",
    default: 'all',
    parse: parseOneOf(LAMBDA_SAMPLING_MODES),
  }),
  OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS: setting({
    concern: 'lambda',
    description:
      "`true`: the managed service in front of the function is drawn as a span between the producer and the invocation, as Datadog's Lambda library does: the API Gateway or function URL request, the time a message waited in SQS, SNS, EventBridge, Kinesis, a DynamoDB stream or S3; see [event sources](lambda.md#event-sources)",
    default: 'true',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE: setting({
    concern: 'lambda',
    description:
      "`true`: the first invocation of a sandbox draws its cold start, as Datadog's Lambda library does: an `aws.lambda.load` span from the process start, with an `aws.lambda.require` span for each module load that took at least `OTEL_XRAY_DD_LAMBDA_COLD_START_MIN_MS`; off, it costs nothing",
    default: 'false',
    parse: parseBoolean,
  }),
  OTEL_XRAY_DD_LAMBDA_COLD_START_MIN_MS: setting({
    concern: 'lambda',
    description: 'the shortest module load drawn as an `aws.lambda.require` span',
    default: '3',
    parse: duration,
    show: ms,
  }),
  OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: setting({
    concern: 'lambda',
    description:
      "`true`: inside Lambda, read the function's own tags once per sandbox (`GetFunction`; needs `lambda:GetFunction`) and put them on every span; see [function tags](lambda.md#function-tags-as-trace-dimensions)",
    default: 'false',
    parse: parseBoolean,
  }),
};

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<N extends SettingName> = (typeof SETTINGS)[N] extends Setting<infer T, OptionName> ? T : never;

/** start() options that have no variable; checked by the same kind of parsers. */
export interface OptionSetting<T> {
  readonly description: string;
  readonly default?: T;
  readonly defaultNote: string;
  readonly parse: (value: unknown) => Parsed<T> | undefined;
  readonly show: (value: T) => string;
}

export const OPTION_ONLY_SETTINGS = {
  resourceAttributes: {
    description: 'extra resource attributes (span tags in Datadog), over `DD_TAGS` and `OTEL_RESOURCE_ATTRIBUTES`; the unified-tag keys are ignored',
    defaultNote: 'none',
    parse: (value: unknown) => (value === undefined || value === null ? undefined : parseAttributeRecord(value)),
    show: showAttributes,
  } satisfies OptionSetting<Record<string, string>>,
  exitHooks: {
    description: 'install the SIGTERM and `beforeExit` flush hooks',
    default: true,
    defaultNote: '`true`',
    parse: (value: unknown) => (value === undefined || value === null ? undefined : typeof value === 'boolean' ? ok(value) : parseBoolean(typeof value === 'string' ? value : '?')),
    show: String,
  } satisfies OptionSetting<boolean>,
};

// Every start() option is declared: with its variable in SETTINGS, or in OPTION_ONLY_SETTINGS.
type DeclaredOption = { [N in SettingName]: (typeof SETTINGS)[N]['option'] extends { name: infer O } | undefined ? O : never }[SettingName] | keyof typeof OPTION_ONLY_SETTINGS;
const everyOptionDeclared: [Exclude<OptionName, DeclaredOption>] extends [never] ? true : Exclude<OptionName, DeclaredOption> = true;
void everyOptionDeclared;

/** The setting's declared default, parsed; undefined when it has none. */
export function defaultOf<N extends SettingName>(name: N): SettingValue<N> | undefined {
  const declaration = SETTINGS[name] as unknown as Setting<SettingValue<N>>;
  if (declaration.default === undefined) return undefined;
  const parsed = declaration.parse(declaration.default);
  return parsed.ok ? parsed.value : undefined;
}

/**
 * One variable on its own, parsed by its declaration: its value, else its
 * default (undefined when it has none). For code that runs before the
 * configuration is resolved (the compile cache); never throws, never warns.
 */
export function readSetting<N extends SettingName>(name: N, env: Readonly<Record<string, string | undefined>> = process.env): SettingValue<N> | undefined {
  try {
    const raw = env[name];
    if (raw !== undefined && raw.trim() !== '') {
      const parsed = (SETTINGS[name] as unknown as Setting<SettingValue<N>>).parse(raw);
      if (parsed.ok) return parsed.value;
    }
  } catch {
    // Falls back to the default.
  }
  return defaultOf(name);
}
