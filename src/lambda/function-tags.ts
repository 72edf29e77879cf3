/**
 * Lambda function tags as trace dimensions (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS=true).
 *
 * Datadog's Lambda integration turns every tag on a function into a trace
 * dimension, and lets `env`/`service`/`version` tags replace the `env:none` /
 * function-name defaults. We do the same in the resource: at init one
 * GetFunction call is started (never awaited by init or by a handler); the
 * resource stays pending until it answers or its bound passes, and the batch
 * span processor waits for a pending resource before it exports. Any failure
 * leaves the resource exactly as the environment made it.
 *
 * GetFunction rather than ListTags: ListTags needs the function ARN, whose
 * account id is not in the environment at init (it first appears in the
 * invocation context), and finding it (STS GetCallerIdentity) would cost a
 * second client and a second round trip inside the same bound. GetFunction
 * takes the name from AWS_LAMBDA_FUNCTION_NAME and returns the tags with the
 * function's configuration, in one call.
 */
import { context } from '@opentelemetry/api';
import { suppressTracing } from '@opentelemetry/core';
import { resourceFromAttributes, type RawResourceAttribute, type Resource } from '@opentelemetry/resources';
import type { ResolvedConfig } from '../config/resolved-config';
import { describeFunctionTagSettings } from '../config/describe-settings';
import { log } from '../config/diagnostics';

export type FunctionTags = Readonly<Record<string, string>>;

/**
 * What a function's tags contribute: `overrides` replace unified tags that
 * came from a default; `additions` only fill keys the resource does not
 * already have, so explicit settings and detected attributes keep their values.
 */
export interface TagAttributes {
  overrides: Record<string, string>;
  additions: Record<string, string>;
}

/** The resource keys for the unified tags: set from the `env`/`service`/`version` tags only. */
const UNIFIED_KEYS = new Set(['service.name', 'service.version', 'deployment.environment', 'deployment.environment.name']);

/** The longest GetFunction may hold back the first export. */
export const MAX_TAGS_WAIT_MS = 1000;

/** Maps function tags to resource attributes. `aws:*` tags (CloudFormation, SAM...) are AWS's, not trace dimensions. */
export function functionTagAttributes(tags: FunctionTags, defaulted: ResolvedConfig['defaulted']): TagAttributes {
  const overrides: Record<string, string> = {};
  const additions: Record<string, string> = {};
  for (const [rawKey, rawValue] of Object.entries(tags)) {
    if (typeof rawValue !== 'string') continue;
    const key = rawKey.trim();
    const value = rawValue.trim();
    if (key === '' || value === '' || key.toLowerCase().startsWith('aws:')) continue;
    // Datadog lower-cases tag keys, so `Env` on a function is its env there too.
    switch (key.toLowerCase()) {
      case 'env':
        if (defaulted.env) {
          overrides['deployment.environment.name'] = value;
          overrides['deployment.environment'] = value;
        }
        break;
      case 'service':
        if (defaulted.service) overrides['service.name'] = value;
        break;
      case 'version':
        if (defaulted.version) overrides['service.version'] = value;
        break;
      default:
        if (!UNIFIED_KEYS.has(key)) additions[key] = value;
    }
  }
  return { overrides, additions };
}

/** The resource once the tags are known: additions under it, overrides over it. */
export function applyTagAttributes(resource: Resource, { overrides, additions }: TagAttributes): Resource {
  return resourceFromAttributes(additions).merge(resource).merge(resourceFromAttributes(overrides));
}

/**
 * A resource that is `initial` until `final` settles, then `final`. The set of
 * keys is not known in advance (any tag becomes an attribute), which promised
 * attribute values cannot express: those need their keys up front. `final`
 * must never reject.
 */
class LateResource implements Resource {
  private current: Resource;
  private pending = true;
  private readonly ready: Promise<void>;

  constructor(
    initial: Resource,
    private readonly final: Promise<Resource>,
  ) {
    this.current = initial;
    this.ready = final
      .catch(() => initial)
      .then((resource) => {
        this.current = resource;
        this.pending = false;
      });
  }

  get asyncAttributesPending(): boolean {
    return this.pending || this.current.asyncAttributesPending === true;
  }

  async waitForAsyncAttributes(): Promise<void> {
    await this.ready;
    await this.current.waitForAsyncAttributes?.();
  }

  get attributes(): Resource['attributes'] {
    return this.current.attributes;
  }

  get schemaUrl(): string | undefined {
    return this.current.schemaUrl;
  }

  getRawAttributes(): RawResourceAttribute[] {
    return this.current.getRawAttributes();
  }

  merge(other: Resource | null): Resource {
    if (!other) return this;
    if (!this.pending) return this.current.merge(other);
    return new LateResource(
      this.current.merge(other),
      this.final.then((resource) => resource.merge(other)),
    );
  }
}

/** The slice of @aws-sdk/client-lambda we use (typed here: the runtime provides its own SDK version). */
export interface LambdaSdk {
  LambdaClient: new (config: { region?: string; maxAttempts?: number }) => {
    send(command: unknown, options?: { abortSignal?: AbortSignal }): Promise<{ Tags?: Record<string, string> }>;
    destroy(): void;
  };
  GetFunctionCommand: new (input: { FunctionName: string }) => unknown;
}

// Loaded only when opted in; inside Lambda the runtime provides it (and the
// layer bundle leaves it out: see scripts/build-layer.mjs).
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadLambdaSdk = (): LambdaSdk => require('@aws-sdk/client-lambda') as LambdaSdk;

export interface FetchTagsOptions {
  functionName: string;
  region: string | undefined;
  timeoutMs: number;
  loadSdk?: () => LambdaSdk;
}

/** A failure to load the SDK, told apart from a failed call. */
class SdkUnavailable {
  constructor(readonly cause: unknown) {}
}

/**
 * Reads the function's tags. Resolves with the tags, or with undefined after
 * any failure or once `timeoutMs` has passed; never rejects, never throws.
 * At most one line is logged: a warning when the SDK is missing or the role
 * lacks the permission (both need the user to act), a debug line otherwise.
 */
export function fetchFunctionTags({ functionName, region, timeoutMs, loadSdk = loadLambdaSdk }: FetchTagsOptions): Promise<FunctionTags | undefined> {
  return new Promise((resolve) => {
    let done = false;
    const abort = new AbortController();
    const finish = (tags: FunctionTags | undefined, report: () => void): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      resolve(tags);
      try {
        abort.abort();
        report();
      } catch {
        // Diagnostics must not fail the caller.
      }
    };
    // The bound runs from init: the first flush never waits longer than this for tags.
    const timer = setTimeout(() => finish(undefined, () => log.debug(`function tags not read within ${timeoutMs} ms; ${FALLBACK}`)), timeoutMs);
    timer.unref();

    // After start() has returned: the AWS SDK instrumentation is registered by
    // then, so the SDK modules loaded here are patched for the app as well.
    setImmediate(() => {
      getTags(loadSdk, functionName, region, abort.signal).then(
        (tags) => finish(tags, () => log.debug(`function tags read: ${Object.keys(tags).join(', ') || '(none)'}`)),
        (failure: unknown) => finish(undefined, () => reportFailure(failure, functionName)),
      );
    });
  });
}

async function getTags(loadSdk: () => LambdaSdk, functionName: string, region: string | undefined, abortSignal: AbortSignal): Promise<FunctionTags> {
  let sdk: LambdaSdk;
  try {
    sdk = loadSdk();
  } catch (error) {
    throw new SdkUnavailable(error);
  }
  // One attempt: a throttled call is not worth a retry inside a 1 s bound.
  const client = new sdk.LambdaClient({ region, maxAttempts: 1 });
  try {
    const command = new sdk.GetFunctionCommand({ FunctionName: functionName });
    // Our own call is not a span of the app's trace.
    const output = await context.with(suppressTracing(context.active()), () => client.send(command, { abortSignal }));
    const tags = output?.Tags;
    return tags !== null && typeof tags === 'object' ? tags : {};
  } finally {
    client.destroy();
  }
}

const FALLBACK = 'using env/service/version from the environment';

function reportFailure(failure: unknown, functionName: string): void {
  if (failure instanceof SdkUnavailable) {
    log.warn(`OTEL_XRAY_DD_LAMBDA_FETCH_TAGS: @aws-sdk/client-lambda could not be loaded (${describe(failure.cause)}); function tags are not read, ${FALLBACK}`);
    return;
  }
  const { name, $metadata } = (failure ?? {}) as { name?: unknown; $metadata?: { httpStatusCode?: unknown } };
  if (name === 'AccessDeniedException' || $metadata?.httpStatusCode === 403) {
    log.warn(
      `function tags not read: the execution role may not call lambda:GetFunction on ${functionName} (${describe(failure)}); ` +
        `${FALLBACK}. Grant lambda:GetFunction on the function, or unset OTEL_XRAY_DD_LAMBDA_FETCH_TAGS`,
    );
  } else {
    log.debug(`function tags not read (${describe(failure)}); ${FALLBACK}`);
  }
}

/** `Name: first line of the message`, short enough for one diagnostic line. */
function describe(error: unknown): string {
  const { name, message } = (error ?? {}) as { name?: unknown; message?: unknown };
  const text = typeof message === 'string' && message !== '' ? (message.split('\n')[0] ?? '') : String(error);
  const short = text.length > 200 ? `${text.slice(0, 197)}...` : text;
  return typeof name === 'string' && name !== '' && name !== 'Error' ? `${name}: ${short}` : short;
}

/**
 * The resource with the function's tags once they are read; `resource` itself
 * when they cannot be. The bound leaves half of the Lambda flush budget to the
 * export itself, should the first flush start before the tags are in.
 */
export function withFunctionTags(resource: Resource, config: ResolvedConfig, loadSdk?: () => LambdaSdk): Resource {
  const functionName = config.lambda.functionName;
  if (functionName === undefined) return resource;
  const timeoutMs = Math.min(MAX_TAGS_WAIT_MS, Math.floor(config.lambda.flushTimeoutMs / 2));
  const final = fetchFunctionTags({ functionName, region: config.lambda.region, timeoutMs, loadSdk })
    .then((tags) => {
      if (tags === undefined) return resource;
      const attributes = functionTagAttributes(tags, config.defaulted);
      for (const line of describeFunctionTagSettings(config, attributes.overrides)) log.debug(line);
      return applyTagAttributes(resource, attributes);
    })
    .catch(() => resource);
  return new LateResource(resource, final);
}
