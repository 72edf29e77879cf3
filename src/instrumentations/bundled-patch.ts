/**
 * Applies an instrumentation to a module a bundle inlined, the way its own
 * require hook would have: through the instrumentation's module definitions
 * and its `_onRequire` (the main file by package name, other files by
 * `<package>/<path>`, each only for the versions it supports). The version is
 * the one the esbuild plugin read from the package at build time: the bundle
 * may run where no node_modules exists. `_onRequire` and
 * `_extractPackageVersion` are @opentelemetry/instrumentation internals of
 * the pinned version; test/bundling.test.mjs fails if they change.
 */
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';

interface RequireHookInternals {
  getModuleDefinitions?(): InstrumentationModuleDefinition[];
  _onRequire?(definition: InstrumentationModuleDefinition, exports: unknown, name: string, baseDir: string): unknown;
  _extractPackageVersion?(baseDir: string): string | undefined;
}

// Stands in for the package directory `_onRequire` would read the version from.
const BUNDLED = '<bundled>';

export function patchBundledModule(instrumentation: Instrumentation, pkg: string, version: string, file: string, isMain: boolean, exports: unknown): unknown {
  const internals = instrumentation as unknown as RequireHookInternals;
  if (typeof internals._onRequire !== 'function' || typeof internals.getModuleDefinitions !== 'function') return undefined;
  const definitions = internals.getModuleDefinitions().filter((definition) => definition.name === pkg);
  if (definitions.length === 0) return undefined;
  const readVersion = internals._extractPackageVersion;
  internals._extractPackageVersion = (baseDir: string) => (baseDir === BUNDLED ? version : readVersion?.call(instrumentation, baseDir));
  try {
    let patched = exports;
    for (const definition of definitions) patched = internals._onRequire.call(instrumentation, definition, patched, isMain ? pkg : `${pkg}/${file}`, BUNDLED);
    return patched;
  } finally {
    internals._extractPackageVersion = readVersion;
  }
}

/**
 * Applies an instrumentation to a Node built-in already loaded (on-demand-loader.ts:
 * the runtime client loaded it first): built-ins have one exports object, which
 * the instrumentation patches in place, as its require hook would have.
 */
export function patchLoadedBuiltin(instrumentation: Instrumentation, name: string, exports: unknown): void {
  const internals = instrumentation as unknown as RequireHookInternals;
  if (typeof internals._onRequire !== 'function' || typeof internals.getModuleDefinitions !== 'function') return;
  for (const definition of internals.getModuleDefinitions()) {
    if (definition.name === name) internals._onRequire.call(instrumentation, definition, exports, name, undefined as unknown as string);
  }
}
