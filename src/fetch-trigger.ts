/**
 * Global fetch() is Node's bundled undici: it never passes a module loader,
 * so no require or import can trigger its instrumentation. The first call
 * does: it builds the undici instrumentation (which subscribes to undici's
 * diagnostics channels, so this very request is traced) and puts the
 * original fetch back, so later calls cost nothing.
 */
type Fetch = (...args: unknown[]) => unknown;

export function triggerOnFirstFetch(onFirstCall: () => void): void {
  const original = (globalThis as { fetch?: Fetch }).fetch;
  if (typeof original !== 'function') return;
  const firstFetch = function (this: unknown, ...args: unknown[]): unknown {
    if ((globalThis as { fetch?: Fetch }).fetch === firstFetch) (globalThis as { fetch?: Fetch }).fetch = original;
    try {
      onFirstCall();
    } catch {
      // Tracing must never stand between the app and its request.
    }
    return original.apply(this, args);
  };
  Object.defineProperty(firstFetch, 'name', { value: original.name });
  Object.defineProperty(firstFetch, 'length', { value: original.length });
  (globalThis as { fetch?: Fetch }).fetch = firstFetch;
}
