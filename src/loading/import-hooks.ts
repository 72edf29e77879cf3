/**
 * Stands in for import-in-the-middle's Hook inside our bundles of the
 * OpenTelemetry instrumentation package (scripts/bundle.mjs points the
 * package's import of it here). An import hook only fires for modules the ES
 * module loader hook passes through, so until that loader hook is registered
 * (esm-hook.ts) the stand-in only remembers what was asked; the registration
 * makes the real hooks. Where it is never registered (a CommonJS application
 * under --require, a CommonJS Lambda handler) import-in-the-middle is never
 * loaded: ~3.5 ms of start-up, measured on Node 24.
 */

/* eslint-disable @typescript-eslint/no-require-imports -- import-in-the-middle is loaded once the loader hook is registered */

type HookFn = (exports: unknown, name: string, baseDir?: string) => unknown;
type HookArgs = [modules: string[] | null, options: unknown, hookFn: HookFn];
interface Unhookable {
  unhook(): void;
}

const waiting = new Set<Hook>();
let live = false;

export class Hook {
  private real: Unhookable | undefined;
  private readonly args: HookArgs;

  constructor(...args: HookArgs) {
    this.args = args;
    if (live) this.makeReal();
    else waiting.add(this);
  }

  /** Called for each waiting hook once the loader hook is registered. */
  makeReal(): void {
    const { Hook: RealHook } = require('import-in-the-middle') as { Hook: new (...args: HookArgs) => Unhookable };
    this.real ??= new RealHook(...this.args);
  }

  unhook(): void {
    waiting.delete(this);
    this.real?.unhook();
  }
}

/** The ES module loader hook is registered: every import hook from now on is real, and so are the ones waiting. */
export function makeImportHooksReal(): void {
  live = true;
  for (const hook of waiting) hook.makeReal();
  waiting.clear();
}
