/**
 * Flush pending spans when the process is about to end, within a time bound,
 * without changing how the application exits:
 * - beforeExit (the event loop emptied): flush once; the process then exits as
 *   it would have.
 * - SIGTERM: flush; if nobody else listens for SIGTERM, re-raise it so the
 *   process dies of the signal exactly as Node's default handler would. If the
 *   application has its own SIGTERM handler, that handler decides.
 */
import { log } from './diagnostics';

export function installExitHooks(flushAndStop: () => Promise<void>): () => void {
  let running: Promise<void> | undefined;
  const runOnce = (): Promise<void> => {
    running ??= flushAndStop().catch((error: unknown) => log.debug(`flush at exit failed: ${String(error)}`));
    return running;
  };

  const onBeforeExit = (): void => {
    if (running) return;
    void runOnce();
  };
  const onSigterm = (): void => {
    void runOnce().then(() => {
      if (process.listenerCount('SIGTERM') === 0) process.kill(process.pid, 'SIGTERM');
    });
  };

  process.on('beforeExit', onBeforeExit);
  process.once('SIGTERM', onSigterm);
  return () => {
    process.removeListener('beforeExit', onBeforeExit);
    process.removeListener('SIGTERM', onSigterm);
  };
}
