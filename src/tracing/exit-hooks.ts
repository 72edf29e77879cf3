/**
 * Flush pending spans when the process is about to end, within a time bound,
 * without changing how the application exits:
 * - beforeExit (the event loop emptied): flush once; the process then exits as
 *   it would have. If the flush ran out of time, the exporter's retry timers
 *   would keep the process alive for up to the export timeout, so we end it
 *   with the exit code the application set: nothing of the app's was pending,
 *   or beforeExit would not have fired.
 *   Inside Lambda (liveSandboxFlush given) beforeExit fires on every callback
 *   invocation of a sandbox that lives on: there it only flushes, never
 *   shuts tracing down nor calls process.exit().
 * - SIGTERM: flush; if nobody else listens for SIGTERM, re-raise it so the
 *   process dies of the signal exactly as Node's default handler would. If the
 *   application has its own SIGTERM handler, that handler decides.
 */
import { log } from '../config/diagnostics';

/** flushAndStop resolves true when everything was sent in time. */
export function installExitHooks(flushAndStop: () => Promise<boolean>, liveSandboxFlush?: () => Promise<void>): () => void {
  let running: Promise<boolean> | undefined;
  const runOnce = (): Promise<boolean> => {
    running ??= flushAndStop().catch((error: unknown) => {
      log.debug(`flush at exit failed: ${String(error)}`);
      return false;
    });
    return running;
  };

  let flushing = false;
  const onBeforeExit = (): void => {
    if (running) return;
    if (liveSandboxFlush) {
      // Send what is pending (work done outside invocations), keep tracing on.
      if (flushing) return;
      flushing = true;
      void liveSandboxFlush()
        .catch(() => undefined)
        .finally(() => (flushing = false));
      return;
    }
    void runOnce().then((inTime) => {
      if (!inTime) process.exit();
    });
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
