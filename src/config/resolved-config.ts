/**
 * The configuration in force, as every other module receives it
 * (resolve-config.ts builds it; nothing else reads process.env for our
 * settings), and the small public view of it.
 */
import { INSTRUMENTATION_NAMES } from '../loading/instrumentation-catalog';
import {
  defaultOf,
  type InstrumentationName,
  type LambdaParentPriority,
  type LambdaSamplingMode,
  type LogLevelName,
  type OtlpProtocol,
  type PropagatorName,
  type SamplerName,
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
  /** PEM files for an https endpoint: a private CA, and our client certificate and key for mutual TLS. */
  tls: { ca?: string; cert?: string; key?: string };
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
    /** Draw the cold start as spans: undefined when off, else the shortest module load drawn (OTEL_XRAY_DD_LAMBDA_COLD_START_TRACE, OTEL_XRAY_DD_LAMBDA_COLD_START_MIN_MS). */
    coldStartMinMs: number | undefined;
    /** Draw the managed service's hop as a span (OTEL_XRAY_DD_LAMBDA_INFERRED_SPANS). */
    inferredSpans: boolean;
    /** Read the function's tags (GetFunction) at init and apply them to the resource (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS). */
    fetchTags: boolean;
  };
  shutdownTimeoutMs: number;
  exitHooks: boolean;
  /** Keep query strings in URL span attributes (off by default: they carry tokens). */
  keepUrlQuery: boolean;
  /** Keep literals in SQL statements and keys in Redis commands (off by default). */
  keepDb: { statements: boolean; commands: boolean };
  /** AWS SDK messaging opt-ins and the Lambda consumer's link bound. */
  messaging: MessagingSettings;
  /** Problems found while resolving; each names the variable or option and what is used instead. */
  warnings: string[];
  /** Every value in force and where it came from, secrets redacted (see describeSettings). */
  inForce: readonly SettingInForce[];
}

export interface MessagingSettings {
  /** Write our context into PutEvents entries' `detail` (changes the user's event). */
  eventBridgeInject: boolean;
  /** Write our context into PutRecord(s) data that is a JSON object (changes the user's record). */
  kinesisInject: boolean;
  /** Most span links a Lambda consumer span takes from one event. */
  maxLinks: number;
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
