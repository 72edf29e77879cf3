/**
 * What both preload entry points do. Node 20 also runs --require/--import
 * preloads inside its module loader-hooks thread, which has no parentPort
 * (application worker threads have one): tracing belongs to the
 * application's threads only, and a second start there would register the
 * loader hook again.
 *
 * On a host the SDK is loaded at first use (deferred-start.ts). It starts at
 * once inside Lambda, where init is the place for the work and the handler
 * hook must be in place before the runtime loads the handler, and under
 * --import, where the ES module hook must be registered before the first
 * import.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { resolveConfig, type ResolvedConfig } from './config';
import { deferStart } from './deferred-start';
import { installDiagLogger, log } from './diagnostics';
import type { EsmHookMode } from './start';

/* eslint-disable @typescript-eslint/no-require-imports -- the SDK is loaded only when tracing starts */

export function startFromPreload(esmHook: EsmHookMode): void {
  if (!isMainThread && parentPort === null) return;
  let config: ResolvedConfig | undefined;
  try {
    config = resolveConfig(process.env);
  } catch {
    // start() reports it and runs the app untraced.
  }
  const startNow = (): void => {
    (require('./start') as typeof import('./start')).startWith(undefined, esmHook, config);
  };
  if (config === undefined) {
    startNow();
    return;
  }
  installDiagLogger(config.logLevel);
  for (const warning of config.warnings) log.warn(warning);
  if (esmHook === 'import' || config.lambda.functionName !== undefined) startNow();
  else if (!config.disabled) deferStart(config, startNow);
}
