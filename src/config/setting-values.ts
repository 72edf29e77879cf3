/**
 * The values settings take where they are a closed set, the bounds of the
 * numeric ones, and the start() options: what settings.ts declares and the
 * rest of the code types against.
 */
import type { InstrumentationName } from '../loading/instrumentation-catalog';

export const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

export const PROPAGATORS = ['tracecontext', 'baggage', 'xray', 'datadog'] as const;
export type PropagatorName = (typeof PROPAGATORS)[number];

export const LOG_LEVELS = ['none', 'error', 'warn', 'info', 'debug', 'verbose', 'all'] as const;
export type LogLevelName = (typeof LOG_LEVELS)[number];

/** Which parent an invocation span takes when both Lambda's X-Ray env context and event headers carry one. */
export const LAMBDA_PARENT_PRIORITIES = ['xray-env', 'headers'] as const;
export type LambdaParentPriority = (typeof LAMBDA_PARENT_PRIORITIES)[number];

/** Whether X-Ray's sampling decides anything about an invocation span (see src/lambda/invocation-parent.ts). */
export const LAMBDA_SAMPLING_MODES = ['all', 'xray-priority', 'xray'] as const;
export type LambdaSamplingMode = (typeof LAMBDA_SAMPLING_MODES)[number];

export const PROTOCOLS = ['http/protobuf', 'http/json'] as const;
export type OtlpProtocol = (typeof PROTOCOLS)[number];

/** OTEL_NODE_RESOURCE_DETECTORS names we accept; only the EC2 detector is opt-in, the others run where they apply. */
export const RESOURCE_DETECTORS = ['ec2', 'aws', 'all', 'ecs', 'lambda', 'env', 'host', 'process'] as const;
export type ResourceDetectorName = (typeof RESOURCE_DETECTORS)[number];

/** The longest bound a duration setting takes. */
export const MAX_TIMEOUT_MS = 60_000;
/** The most spans held for a receiver that does not answer. */
export const MAX_HELD_SPANS = 100_000;
/** The most span links a Lambda consumer span may take from one event. */
export const MAX_LAMBDA_LINKS = 1000;

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

export type OptionName = keyof StartOptions;
