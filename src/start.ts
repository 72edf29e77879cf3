/**
 * start(): wires configuration, ids, propagation, sampling, export and
 * instrumentation into one global tracer provider. It never throws: a failure
 * leaves the application running untraced, with one diagnostic saying why.
 */
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { resolveConfig, type ResolvedConfig, type StartOptions } from './config';
import { settleWithin } from './bounded';
import { installDiagLogger, log } from './diagnostics';
import { installExitHooks } from './exit-hooks';
import { enableInstrumentations } from './instrumentations';
import { createLambdaHooks } from './lambda-invocation';
import { createPropagator } from './propagation';
import { createResource } from './resource';
import { createSampler } from './sampler';
import { createSpanPipeline } from './span-export';
import { XRayDatadogIdGenerator } from './trace-ids';
import { UrlQueryRedactor } from './url-redaction';

export interface TracingHandle {
  /** False when tracing is off (OTEL_SDK_DISABLED=true, or start-up failed). */
  readonly enabled: boolean;
  /** The configuration in force (service, env, version, endpoint...). */
  readonly config: ResolvedConfig;
  /** Sends every finished span now; resolves within the shutdown timeout, never rejects. */
  forceFlush(): Promise<void>;
  /** Flushes and stops tracing; resolves within the shutdown timeout, never rejects. */
  shutdown(): Promise<void>;
}

let current: TracingHandle | undefined;

export function start(options?: StartOptions): TracingHandle {
  if (current) {
    log.warn('start() was called more than once; the first configuration stays in force and its handle is returned');
    return current;
  }
  let config: ResolvedConfig;
  try {
    config = resolveConfig(process.env, options);
    installDiagLogger(config.logLevel);
    for (const warning of config.warnings) log.warn(warning);
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
    current = startTracing(config);
  } catch (error) {
    log.error(`tracing could not start (${String(error)}); the application runs untraced`);
    current = disabledHandle(config);
  }
  return current;
}

function startTracing(config: ResolvedConfig): TracingHandle {
  const pipeline = createSpanPipeline(config.tracesEndpoint);
  const spanProcessors = config.keepUrlQuery ? [pipeline.processor] : [new UrlQueryRedactor(), pipeline.processor];
  const provider = new NodeTracerProvider({
    resource: createResource(config),
    idGenerator: new XRayDatadogIdGenerator(),
    sampler: createSampler(config.sampler),
    spanProcessors,
  });
  provider.register({ propagator: createPropagator(config) });
  const flushAll = async (): Promise<void> => {
    await provider.forceFlush();
    await pipeline.exportsSettled();
  };
  enableInstrumentations(config, provider, createLambdaHooks(provider, flushAll, config.lambda.flushTimeoutMs));

  const bound = config.shutdownTimeoutMs;
  let stopped = false;
  const shutdown = async (): Promise<boolean> => {
    if (stopped) return true;
    stopped = true;
    removeExitHooks();
    const settled = await settleWithin(provider.shutdown(), bound);
    if (!settled) {
      // Cut the in-flight export so it cannot hold the process open.
      pipeline.dropConnections();
      log.warn(`spans not yet accepted by ${config.tracesEndpoint} within the ${bound} ms shutdown bound were dropped (OTEL_XRAY_DD_SHUTDOWN_TIMEOUT_MS)`);
    }
    return settled;
  };
  const removeExitHooks = config.exitHooks ? installExitHooks(shutdown) : () => {};

  log.debug(`tracing started: service=${config.service} env=${config.env} version=${config.version ?? '(unset)'} endpoint=${config.tracesEndpoint}`);
  return {
    enabled: true,
    config,
    forceFlush: async () => {
      if (!stopped) await settleWithin(flushAll(), bound);
    },
    shutdown: async () => {
      await shutdown();
    },
  };
}

function disabledHandle(config: ResolvedConfig): TracingHandle {
  return { enabled: false, config, forceFlush: async () => {}, shutdown: async () => {} };
}
