/**
 * Libraries inlined into an application bundle never pass a module loader,
 * so neither our load triggers nor require-/import-in-the-middle see them.
 * Our esbuild plugin (bundling/esbuild-plugin.ts) appends a call to every
 * file of the catalog's packages it inlines; that call lands here, with the
 * package, its version (read at build time), the file and its exports, and
 * gets back the exports to use: patched, as the instrumentation would have
 * patched them through require.
 *
 * The hook is a global so that a bundle built with another copy of this
 * package finds it. The preload installs a stand-in that starts tracing at the
 * first such call (as a require would); the on-demand loader then installs
 * the real patcher in its place.
 */

/** What the plugin's appended code calls: returns the exports to use, or undefined to keep them. */
export type BundledModuleHook = (pkg: string, version: string, file: string, isMain: boolean, exports: unknown) => unknown;

export const BUNDLED_MODULE_HOOK = Symbol.for('otel-xray-datadog.bundled-module');

export function setBundledModuleHook(hook: BundledModuleHook | undefined): void {
  (globalThis as Record<symbol, unknown>)[BUNDLED_MODULE_HOOK] = hook;
}

export function bundledModuleHook(): BundledModuleHook | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[BUNDLED_MODULE_HOOK];
  return typeof hook === 'function' ? (hook as BundledModuleHook) : undefined;
}

/** The preload's stand-in: a bundled library of `packages` starts tracing, then goes to the real patcher. */
export function deferredBundledModuleHook(packages: ReadonlySet<string>, ensureStarted: () => void): BundledModuleHook {
  const standIn: BundledModuleHook = (pkg, version, file, isMain, exports) => {
    if (!packages.has(pkg)) return undefined;
    ensureStarted();
    const real = bundledModuleHook();
    return real !== undefined && real !== standIn ? real(pkg, version, file, isMain, exports) : undefined;
  };
  return standIn;
}
