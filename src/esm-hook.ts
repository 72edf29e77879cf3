/**
 * The ES module loader hook (import-in-the-middle), registered only for the
 * modules we instrument: a hook on every import is slower, and a global one
 * has broken ES module live bindings for others. It costs a loader thread at
 * start-up, so the CommonJS preload registers it only where the runtime will
 * import() something we must patch (the Lambda handler on nodejs24.x).
 */
import { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log } from './diagnostics';

let registered = false;

/** `modules`: bare package names (node built-ins included) or absolute file paths. */
export function registerEsmHook(modules: readonly string[]): void {
  if (registered || modules.length === 0) return;
  registered = true;
  const include = modules.map((name) => (isAbsolute(name) ? pathToFileURL(name).href : name));
  try {
    // Resolved from this file, so the hook is the same import-in-the-middle copy the instrumentations use.
    register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include } });
  } catch (error) {
    // CommonJS modules and Node built-ins are still traced without it.
    log.warn(`the ES module loader hook could not be installed (${String(error)}); ES modules are not instrumented`);
  }
}
