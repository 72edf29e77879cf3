/**
 * The ES module loader hook (import-in-the-middle), registered only for the
 * modules we instrument: a hook on every import is slower, and a global one
 * has broken ES module live bindings for others. It costs a loader thread at
 * start-up (in-thread synchronous hooks where Node has them), so the CommonJS
 * preload registers it only where the runtime will import() something we must
 * patch (the Lambda handler on nodejs24.x).
 */
import { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log } from '../config/diagnostics';
import { makeImportHooksReal } from './import-hooks';

/* eslint-disable @typescript-eslint/no-require-imports -- import-in-the-middle's in-thread hooks are loaded only where Node has them */

let registered = false;

type ModuleWithHooks = { registerHooks?: unknown };

/**
 * Node >= 22.22.3 / 24.11.1: synchronous hooks in this thread, no loader
 * thread to start (measured ~70-150 ms of a Lambda cold start on Node 24).
 */
function registerInThread(include: string[]): boolean {
  if (typeof (require('node:module') as ModuleWithHooks).registerHooks !== 'function') return false;
  try {
    const { supportsSyncHooks } = require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean };
    if (!supportsSyncHooks()) return false;
    (require('import-in-the-middle/register-hooks.mjs') as { register(options: { include: string[] }): void }).register({ include });
    return true;
  } catch {
    return false; // the loader-thread hook below still works
  }
}

/** `modules`: bare package names (node built-ins included) or absolute file paths. */
export function registerEsmHook(modules: readonly string[]): void {
  if (registered || modules.length === 0) return;
  registered = true;
  const include = modules.map((name) => (isAbsolute(name) ? pathToFileURL(name).href : name));
  if (registerInThread(include)) {
    makeImportHooksReal();
    log.debug(`ES module hook registered in this thread for ${include.length} modules`);
    return;
  }
  try {
    // Resolved from this file, so the hook is the same import-in-the-middle copy the instrumentations use.
    register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include } });
    makeImportHooksReal();
    log.debug(`ES module hook registered in the loader thread for ${include.length} modules`);
  } catch (error) {
    // CommonJS modules and Node built-ins are still traced without it.
    log.warn(`the ES module loader hook could not be installed (${String(error)}); ES modules are not instrumented`);
  }
}
