/**
 * The Lambda layer's --require target (scripts/build-layer.mjs bundles it as
 * register.js): what `otel-xray-datadog/register` does, with the layer's one
 * bundle, lambda.js (the preload with stage 2 inside), read through the V8
 * code cache the layer ships beside it (loading/stage-two.ts).
 * Compiling the preload's bundle, and then each function of the configuration and the
 * triggers at its first call, was ~5 ms of every cold start (Node 24 under
 * the bootstrap's flags: 52.6 -> 47.1 ms to the end of the preload).
 */
import { join } from 'node:path';
import { loadWithCodeCache } from './loading/stage-two';
import type * as Preload from './preload';

(loadWithCodeCache(join(__dirname, 'lambda.js')) as typeof Preload).startFromPreload('lambda');
