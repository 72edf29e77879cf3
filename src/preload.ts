/**
 * What both preload entry points do. Node (20, 22 and 24 alike) also runs
 * --require/--import preloads inside the module loader-hooks thread that
 * module.register() starts, which has no parentPort (application worker
 * threads have one): tracing belongs to the application's threads only, and
 * a second start there would register the loader hook again.
 *
 * On a host the SDK is loaded at first use (deferred-start.ts). It starts at
 * once inside Lambda, where init is the place for the work and the handler
 * hook must be in place before the runtime loads the handler, and under
 * --import, where the ES module hook must be registered before the first
 * import.
 */
import { resolveConfig } from './config/resolve-config';
import { type ResolvedConfig } from './config/resolved-config';
import { recordModuleLoads } from './loading/cold-start-recorder';
import { deferStart } from './loading/deferred-start';
import { loadStageTwo } from './loading/stage-two';
import { installDiagLogger, log } from './config/diagnostics';
import type { EsmHookMode } from './start';

/* eslint-disable @typescript-eslint/no-require-imports -- the SDK is loaded only when tracing starts */

/**
 * Node >= 22.1 keeps V8's compiled code of every module loaded from here on
 * (our bundles, the instrumentation chunks and the app's own modules) in a
 * cache directory (NODE_COMPILE_CACHE, else the OS temp dir: /tmp in Lambda),
 * so later starts skip compiling it. Older Node lines have no such API.
 */
function enableCompileCache(): void {
  const { enableCompileCache: enable } = require('node:module') as { enableCompileCache?: () => unknown };
  try {
    enable?.();
  } catch {
    // An unwritable cache directory only costs the speed-up.
  }
}

/**
 * The loader-hooks thread's process.argv is the Node binary alone, while the
 * main thread of an application or a Lambda runtime also has its script:
 * node:worker_threads (~2 ms of every start) is loaded only to tell that
 * thread from `node -e`, the REPL or an application worker.
 */
function inLoaderHooksThread(): boolean {
  if (process.argv.length >= 2) return false;
  const { isMainThread, parentPort } = require('node:worker_threads') as typeof import('node:worker_threads');
  return !isMainThread && parentPort === null;
}

export function startFromPreload(esmHook: EsmHookMode): void {
  if (inLoaderHooksThread()) return;
  let config: ResolvedConfig | undefined;
  try {
    config = resolveConfig(process.env);
  } catch {
    // start() reports it and runs the app untraced.
  }
  const startNow = (): void => {
    loadStageTwo(__dirname).startWith(undefined, esmHook, config);
  };
  if (config === undefined) {
    startNow();
    return;
  }
  installDiagLogger(config.logLevel);
  for (const warning of config.warnings) log.warn(warning);
  // OTEL_SDK_DISABLED=true: stage 2 is not loaded (from npm) or not run (in the layer's one bundle); in Lambda it cost ~15 ms of init for a disabled handle.
  if (config.disabled) return;
  if (config.compileCache) enableCompileCache();
  // Before the SDK loads: its own load belongs to the cold start too.
  if (config.lambda.functionName !== undefined && config.lambda.coldStartMinMs !== undefined) recordModuleLoads();
  if (esmHook === 'import' || config.lambda.functionName !== undefined) startNow();
  else deferStart(config, startNow);
}
