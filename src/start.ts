/**
 * start(): wires configuration, ids, propagation, sampling, export and
 * instrumentation into one global tracer provider. It never throws: a failure
 * leaves the application running untraced, with one diagnostic saying why.
 */
import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { BasicTracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { DEFERRED_PROVIDER_KEY } from './loading/deferred-start';
import { resolveConfig } from './config/resolve-config';
import { publicConfig, type ResolvedConfig, type StartOptions, type TracingConfig } from './config/resolved-config';
import { settleWithin } from './tracing/bounded';
import { installDiagLogger, log } from './config/diagnostics';
import { installExitHooks } from './tracing/exit-hooks';
import { enableInstrumentations } from './instrumentations/enable';
import { registerEsmHook } from './loading/esm-hook';
import { createPropagator } from './tracing/propagation';
import { createResource } from './tracing/resource';
import { createSampler } from './tracing/sampler';
import { DatadogNames } from './datadog/span-names';
import { createSpanPipeline, type SpanPipeline } from './tracing/span-pipeline';
import { DbStatementRedactor } from './tracing/statement-redaction';
import { XRayDatadogIdGenerator } from './tracing/trace-ids';
import { describeSettings } from './config/describe-settings';
import { redactUrl, UrlQueryRedactor } from './config/url-redaction';

export interface TracingHandle {
  /** False when tracing is off (OTEL_SDK_DISABLED=true, or start-up failed). */
  readonly enabled: boolean;
  /** The configuration in force: service, env, version, endpoint (credentials and query string redacted), enabled. */
  readonly config: TracingConfig;
  /** Sends every finished span now; resolves within the shutdown timeout, never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops tracing; resolves within the shutdown timeout, never rejects. */
  shutdown(): Promise<void>;
}

/**
 * When the ES module loader hook is registered: `import` (the --import entry)
 * always; `lambda` (the --require entry) only for an ES module handler file
 * (a CommonJS one that nodejs24.x imports is patched through Module._load);
 * `never` for start(), which runs too late for it.
 */
export type EsmHookMode = 'import' | 'lambda' | 'never';

let current: TracingHandle | undefined;

export function start(options?: StartOptions): TracingHandle {
  return startWith(options, 'never');
}

/** The preload entry points' start: the same as start(), plus the ES module hook where it is needed. */
export function startWith(options: StartOptions | undefined, esmHook: EsmHookMode, alreadyResolved?: ResolvedConfig): TracingHandle {
  if (current) {
    log.warn('start() was called more than once; the first configuration stays in force and its handle is returned');
    return current;
  }
  let config: ResolvedConfig;
  try {
    // A deferred preload resolved (and reported) the configuration already.
    config = alreadyResolved ?? resolveConfig(process.env, options);
    if (!alreadyResolved) {
      installDiagLogger(config.logLevel);
      for (const warning of config.warnings) log.warn(warning);
    }
  } catch (error) {
    // Only a bug in our own code gets here; the app must still start.
    log.error(`could not read the tracing configuration (${String(error)}); tracing is off`);
    config = resolveConfig({ OTEL_SDK_DISABLED: 'true' }, {}, () => undefined);
    current = disabledHandle(config);
    return current;
  }
  if (config.disabled) {
    current = disabledHandle(config);
    return current;
  }
  try {
    current = startTracing(config, esmHook);
  } catch (error) {
    log.error(`tracing could not start (${String(error)}); the application runs untraced`);
    current = disabledHandle(config);
  }
  return current;
}

function startTracing(config: ResolvedConfig, esmHook: EsmHookMode): TracingHandle {
  const tracing = createTracing(config);
  const hooked = enableInstrumentations(config, tracing.provider, {
    parentPriority: config.lambda.parentPriority,
    samplingMode: config.lambda.samplingMode,
    coldStartMinMs: config.lambda.coldStartMinMs,
    inferredSpans: config.lambda.inferredSpans,
    maxLinks: config.messaging.maxLinks,
    flushTimeoutMs: config.lambda.flushTimeoutMs,
    // Per invocation: until the spans are on their way to the (local) receiver, not its answer.
    flushWithin: (ms) => tracing.flushWithin(ms, 'written'),
    warmUp: (span) => tracing.pipeline.warmUp(span as unknown as ReadableSpan),
  });
  if (esmHook === 'import' || (esmHook === 'lambda' && hooked.esModuleHandler)) {
    registerEsmHook(hooked.modules, () => hooked.watchImports());
  }
  const handle = handleOf(config, tracing);
  log.debug(`tracing started: service=${config.service} env=${config.env} version=${config.version ?? '(unset)'} endpoint=${redactUrl(config.tracesEndpoint)}`);
  for (const line of describeSettings(config)) log.debug(line);
  return handle;
}

interface Tracing {
  provider: BasicTracerProvider;
  pipeline: SpanPipeline;
  /** Flushes within `ms`, until the spans are written or answered; a receiver that made it wait that long is not waited for again until it answers in time. */
  flushWithin(ms: number, until: 'written' | 'answered'): Promise<boolean>;
}

/** The registered provider: ids, sampler, span processors, export, propagators. */
function createTracing(config: ResolvedConfig): Tracing {
  const inLambda = config.lambda.functionName !== undefined;
  const pipeline = createSpanPipeline({
    tracesEndpoint: config.tracesEndpoint,
    protocol: config.protocol,
    maxHeldSpans: config.maxHeldSpans,
    inLambda,
    tls: config.tls,
  });
  // Redaction first: DatadogNames copies the statement into the keys the exporter reads.
  const spanProcessors = [...(config.keepUrlQuery ? [] : [new UrlQueryRedactor()]), new DbStatementRedactor(config.keepDb), new DatadogNames(), pipeline.processor];
  const provider = new BasicTracerProvider({
    resource: createResource(config),
    idGenerator: new XRayDatadogIdGenerator(),
    sampler: createSampler(config.sampler),
    spanProcessors,
  });
  const globals = globalThis as Record<symbol, unknown>;
  if (globals[DEFERRED_PROVIDER_KEY] !== undefined) {
    // The deferred preload's stand-in: its tracers now resolve to this provider.
    trace.disable();
    delete globals[DEFERRED_PROVIDER_KEY];
  }
  // What sdk-trace-node's register() does, without that package: it is CommonJS only, and each
  // of its requires of the bundled ES module builds of api, core and sdk-trace-base made a copy of
  // the whole module at start-up (esbuild's __toCommonJS).
  trace.setGlobalTracerProvider(provider);
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(createPropagator(config));
  const flushAll = async (until: 'written' | 'answered'): Promise<void> => {
    await provider.forceFlush();
    await pipeline.exportsSettled(until);
  };
  const flushWithin = async (ms: number, until: 'written' | 'answered'): Promise<boolean> => {
    const settled = await settleWithin(flushAll(until), ms);
    if (!settled) pipeline.abandonWaiting(ms);
    return settled;
  };
  return { provider, pipeline, flushWithin };
}

/** The handle: flush and shutdown within the bound, and the exit hooks that use them. */
function handleOf(config: ResolvedConfig, { provider, pipeline, flushWithin }: Tracing): TracingHandle {
  const bound = config.shutdownTimeoutMs;
  let stopped = false;
  const shutdown = async (): Promise<boolean> => {
    if (stopped) return true;
    stopped = true;
    removeExitHooks();
    const settled = await settleWithin(provider.shutdown(), bound);
    if (!settled) {
      pipeline.abandonWaiting(bound);
      // Cut the in-flight export so it cannot hold the process open.
      pipeline.dropConnections();
      log.warn(`spans not yet accepted by ${redactUrl(config.tracesEndpoint)} within the ${bound} ms shutdown bound were dropped (OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS)`);
    }
    return settled;
  };
  // Inside Lambda, beforeExit is not the end of the process: the nodejs20.x/22.x
  // runtime completes callback invocations from it, in a sandbox that lives on.
  const liveSandboxFlush = config.lambda.functionName !== undefined ? async () => void (await flushWithin(bound, 'answered')) : undefined;
  const removeExitHooks = config.exitHooks ? installExitHooks(shutdown, liveSandboxFlush) : () => {};
  return {
    enabled: true,
    config: publicConfig(config, true),
    forceFlush: async () => {
      if (!stopped) await flushWithin(bound, 'answered');
    },
    shutdown: async () => {
      await shutdown();
    },
  };
}

function disabledHandle(config: ResolvedConfig): TracingHandle {
  return { enabled: false, config: publicConfig(config, false), forceFlush: async () => {}, shutdown: async () => {} };
}
