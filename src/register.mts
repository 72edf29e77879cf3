/**
 * `node --import otel-xray-datadog/register app.mjs`: starts tracing exactly
 * as the CommonJS entry does, and registers the ES module loader hook
 * (import-in-the-middle) for the modules we instrument, so ESM imports of
 * them are patched too.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
(require('./preload.js') as typeof import('./preload.js')).startFromPreload('import');
