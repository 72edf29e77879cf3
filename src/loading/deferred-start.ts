/**
 * The preload's start-up work on a host: install the triggers, nothing else.
 * The SDK, the exporter and the instrumentations are loaded at first use —
 * the first require of a library in the instrumentation table (its require
 * then goes through the freshly installed hooks, so it is patched as if
 * tracing had started earlier), the first fetch(), or the first tracer the
 * app asks the OpenTelemetry API for. A process that uses none of them pays
 * for reading its configuration only.
 */
import { ProxyTracerProvider, trace, type Tracer, type TracerOptions, type TracerProvider } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/resolved-config';
import { interceptFirstFetch } from './fetch-trigger';
import { INSTRUMENTATION_CATALOG } from './instrumentation-catalog';
import { deferredBundledModuleHook, setBundledModuleHook } from './bundled-modules';
import { channelTrigger, onFirstMessage } from './channel-triggers';
import { packageOfRequest } from './package-names';

/* eslint-disable @typescript-eslint/no-require-imports -- Module._load is reached through require('node:module') */

type ModuleLoad = (request: unknown, parent: unknown, isMain: boolean) => unknown;

/** Set while the API's global tracer provider is our deferred one; startTracing replaces it. */
export const DEFERRED_PROVIDER_KEY = Symbol.for('otel-xray-datadog.deferred-provider');

export function deferStart(config: ResolvedConfig, startNow: () => void): void {
  const triggers = new Set<string>();
  for (const name of config.instrumentations) for (const trigger of INSTRUMENTATION_CATALOG[name].triggers) triggers.add(trigger);

  let started = false;
  const moduleApi = require('node:module') as { _load: ModuleLoad };
  const originalLoad = moduleApi._load;
  const globals = globalThis as Record<symbol, unknown>;
  let stopInterceptingFetch = (): void => {};
  const ensureStarted = (): void => {
    if (started) return;
    started = true;
    if (moduleApi._load === onLoad) moduleApi._load = originalLoad;
    stopInterceptingFetch(); // tracing installs its own first-fetch trigger
    startNow();
  };

  const onLoad: ModuleLoad = function (this: unknown, request, parent, isMain) {
    if (!started && typeof request === 'string') {
      const name = packageOfRequest(request);
      if (name !== undefined && triggers.has(name)) {
        ensureStarted();
        // Load it again through the hooks tracing just installed, so it is patched.
        const requireFrom = (parent as { require?: (id: string) => unknown } | null)?.require;
        if (typeof requireFrom === 'function') return requireFrom.call(parent, request);
      }
    }
    return originalLoad.call(this, request, parent, isMain);
  };
  moduleApi._load = onLoad;
  // Libraries inlined into a bundle trigger through our esbuild plugin's calls instead of require,
  // or through the first message on their diagnostics channels.
  setBundledModuleHook(deferredBundledModuleHook(triggers, ensureStarted));
  const channelNames = [...config.instrumentations].flatMap((name) => INSTRUMENTATION_CATALOG[name].channels ?? []);
  onFirstMessage(channelNames, (channel, message) => {
    ensureStarted();
    channelTrigger()?.(channel, message);
  });

  if (config.instrumentations.has('undici')) stopInterceptingFetch = interceptFirstFetch(ensureStarted);

  const deferred = new DeferredTracerProvider(ensureStarted);
  if (trace.setGlobalTracerProvider(deferred)) globals[DEFERRED_PROVIDER_KEY] = deferred;
}

/** Hands out tracers that start tracing on first use and then act as the real provider's. */
class DeferredTracerProvider implements TracerProvider {
  constructor(private readonly ensureStarted: () => void) {}

  getTracer(name: string, version?: string, options?: TracerOptions): Tracer {
    let real: Tracer | undefined;
    const resolve = (): Tracer => {
      if (real) return real;
      this.ensureStarted();
      // Still us (tracing did not start): a no-op tracer, never a loop back here.
      const stillDeferred = (globalThis as Record<symbol, unknown>)[DEFERRED_PROVIDER_KEY] === this;
      real = stillDeferred ? new ProxyTracerProvider().getTracer(name) : trace.getTracerProvider().getTracer(name, version, options);
      return real;
    };
    return {
      startSpan: (...args: Parameters<Tracer['startSpan']>) => resolve().startSpan(...args),
      startActiveSpan: ((...args: Parameters<Tracer['startActiveSpan']>) => (resolve().startActiveSpan as (...a: unknown[]) => unknown)(...args)) as Tracer['startActiveSpan'],
    };
  }
}
