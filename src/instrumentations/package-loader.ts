/**
 * Loads an instrumentation package when its trigger fires. From npm it is a
 * plain require. In the Lambda layer every instrumentation is its own bundled
 * chunk beside the preload (the preload never parses the ones a function
 * does not use); chunks take @opentelemetry/api, @opentelemetry/instrumentation
 * and @opentelemetry/core from the preload bundle, so there is one copy of
 * each (one require hook, one import hook, one global API).
 */
import { join } from 'node:path';
import { loadWithCodeCache } from '../loading/stage-two';

/* eslint-disable @typescript-eslint/no-require-imports -- loading on demand is the point */

// Defined as true by scripts/build-layer.mjs; absent from the npm build.
declare const OTEL_XRAY_DD_LAYER_CHUNKS: boolean | undefined;

/** Where chunks find the preload's copies; must match the chunk banner in scripts/build-layer.mjs. */
export const SHARED_MODULES_KEY = Symbol.for('otel-xray-datadog.shared-modules');

export function loadInstrumentationPackage(pkg: string): Record<string, unknown> {
  if (typeof OTEL_XRAY_DD_LAYER_CHUNKS !== 'undefined' && OTEL_XRAY_DD_LAYER_CHUNKS) {
    const shared = globalThis as unknown as Record<symbol, unknown>;
    shared[SHARED_MODULES_KEY] ??= {
      '@opentelemetry/api': require('@opentelemetry/api'),
      '@opentelemetry/instrumentation': require('@opentelemetry/instrumentation'),
      '@opentelemetry/core': require('@opentelemetry/core'),
    };
    return loadWithCodeCache(join(__dirname, 'instrumentations', `${chunkName(pkg)}.js`)) as Record<string, unknown>;
  }
  return require(pkg) as Record<string, unknown>;
}

/** The chunk file name of an instrumentation package in the layer. */
export function chunkName(pkg: string): string {
  return pkg.replace(/^@opentelemetry\//, '');
}
