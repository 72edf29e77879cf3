/**
 * `node --import otel-xray-datadog/register app.mjs`: installs the ES module
 * loader hook (import-in-the-middle) so ESM imports can be instrumented, then
 * starts tracing exactly as the CommonJS entry does.
 */
import { createRequire, register } from 'node:module';

const require = createRequire(import.meta.url);
try {
  register('import-in-the-middle/hook.mjs', import.meta.url);
} catch (error) {
  // Tracing of CommonJS modules and Node built-ins still works without the hook.
  console.warn(`otel-xray-datadog: the ES module loader hook could not be installed (${String(error)}); ESM packages are not instrumented`);
}
require('./register.js');
