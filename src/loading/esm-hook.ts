/**
 * The ES module loader hook (import-in-the-middle), for the modules we
 * instrument only: a hook on every import is slower, and a global one has
 * broken ES module live bindings for others. The CommonJS preload registers
 * it only where the runtime will import() something we must patch (an ES
 * module Lambda handler).
 *
 * Where Node has in-thread synchronous hooks (module.registerHooks), a resolve
 * hook of our own stands in front, and import-in-the-middle is loaded at the
 * first import of a module it must wrap, from then on answering every
 * resolve and load: an application or function that imports nothing we
 * instrument never loads it (~14 ms of a Lambda cold start on Node 24:
 * its ES module files are compiled on each start). Elsewhere it runs in the
 * loader thread, registered at once.
 */
import { register } from 'node:module';
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { log } from '../config/diagnostics';
import { makeImportHooksReal } from './import-hooks';
import { packageOf } from './package-names';

/* eslint-disable @typescript-eslint/no-require-imports -- import-in-the-middle's in-thread hooks are loaded only when first needed */

let registered = false;

interface ResolveContext {
  conditions?: readonly string[];
  parentURL?: string;
}
type NextResolve = (specifier: string, context?: ResolveContext) => unknown;
type NextLoad = (url: string, context?: unknown) => unknown;
interface SyncHooks {
  resolveSync(specifier: string, context: ResolveContext, next: NextResolve): unknown;
  loadSync(url: string, context: unknown, next: NextLoad): unknown;
  applyOptions(options: { include: string[] }): void;
}
type RegisterHooks = (hooks: {
  resolve?(specifier: string, context: ResolveContext, next: NextResolve): unknown;
  load?(url: string, context: unknown, next: NextLoad): unknown;
}) => unknown;

/** module.registerHooks where import-in-the-middle can run on it (Node >= 22.22.3 / 24.11.1), else undefined. */
export function inThreadHooks(): RegisterHooks | undefined {
  const registerHooks = (require('node:module') as { registerHooks?: RegisterHooks }).registerHooks;
  if (typeof registerHooks !== 'function') return undefined;
  try {
    const { supportsSyncHooks } = require('import-in-the-middle/supports-sync-hooks.mjs') as { supportsSyncHooks(): boolean };
    return supportsSyncHooks() ? registerHooks : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Our resolve hook in front; import-in-the-middle's own hooks, made at the
 * first import (not require: those are the require hook's) of an
 * included package, answer everything after it.
 */
function registerInThreadOnDemand(registerHooks: RegisterHooks, include: string[], onLoaded: () => void): void {
  const packages = new Set(include.filter((name) => !name.startsWith('file:')));
  let iitm: SyncHooks | undefined;
  const load = (): SyncHooks => {
    const { createHook } = require('import-in-the-middle/create-hook.mjs') as { createHook(meta: { url: string }): SyncHooks };
    // The meta of import-in-the-middle's own register-hooks.mjs: imports from its files are never wrapped.
    const hooks = createHook({ url: pathToFileURL(require.resolve('import-in-the-middle/register-hooks.mjs')).href });
    hooks.applyOptions({ include });
    iitm = hooks;
    onLoaded();
    log.debug('ES module hook: import-in-the-middle loaded at the first import of an instrumented module');
    return hooks;
  };
  registerHooks({
    resolve(specifier, context, next) {
      if (iitm !== undefined) return iitm.resolveSync(specifier, context, next);
      if (context.conditions?.includes('require')) return next(specifier, context);
      const name = packageOf(specifier);
      return name !== undefined && packages.has(name) ? load().resolveSync(specifier, context, next) : next(specifier, context);
    },
    load(url, context, next) {
      return iitm === undefined ? next(url, context) : iitm.loadSync(url, context, next);
    },
  });
  // A file to wrap (an ES module handler our own hook could not take) is imported first of all.
  if (include.some((name) => name.startsWith('file:'))) load();
}

/**
 * `modules`: bare package names (node built-ins included) or absolute file
 * paths (the loader-thread hook only). `onLoaded`: import-in-the-middle is in
 * place, so import hooks may be made real (the instrumentations' and the
 * on-demand loader's).
 */
export function registerEsmHook(modules: readonly string[], onLoaded: () => void): void {
  if (registered || modules.length === 0) return;
  registered = true;
  const include = modules.map((name) => (isAbsolute(name) ? pathToFileURL(name).href : name));
  const loaded = (): void => {
    makeImportHooksReal();
    onLoaded();
  };
  const registerHooks = inThreadHooks();
  if (registerHooks !== undefined) {
    try {
      registerInThreadOnDemand(registerHooks, include, loaded);
      log.debug(`ES module hook registered in this thread for ${include.length} modules`);
      return;
    } catch {
      // the loader-thread hook below still works
    }
  }
  try {
    // Resolved from this file, so the hook is the same import-in-the-middle copy the instrumentations use.
    register('import-in-the-middle/hook.mjs', pathToFileURL(__filename), { data: { include } });
    loaded();
    log.debug(`ES module hook registered in the loader thread for ${include.length} modules`);
  } catch (error) {
    // CommonJS modules and Node built-ins are still traced without it.
    log.warn(`the ES module loader hook could not be installed (${String(error)}); ES modules are not instrumented`);
  }
}
