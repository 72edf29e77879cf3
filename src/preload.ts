/**
 * What both preload entry points do. Node 20 also runs --require/--import
 * preloads inside its module loader-hooks thread, which has no parentPort
 * (application worker threads have one): tracing belongs to the
 * application's threads only, and a second start there would register the
 * loader hook again.
 */
import { isMainThread, parentPort } from 'node:worker_threads';
import { startWith, type EsmHookMode } from './start';

export function startFromPreload(esmHook: EsmHookMode): void {
  if (!isMainThread && parentPort === null) return;
  startWith(undefined, esmHook);
}
