/**
 * Global fetch() is Node's bundled undici: it never passes a module loader,
 * so no require or import can trigger its instrumentation. The first call
 * does. Node defines `fetch` as a lazy getter that loads undici (~15 ms) on
 * first access, so we replace the property without reading it, and put the
 * original property back on first call (or when the app assigns its own).
 */
type Fetch = (this: unknown, ...args: unknown[]) => unknown;

/** Runs `onFirstCall` just before the first fetch() goes out; returns a function that undoes the interception. */
export function interceptFirstFetch(onFirstCall: () => void): () => void {
  const globals = globalThis as unknown as Record<string, unknown>;
  const original = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  if (original === undefined || !original.configurable) return () => {};
  let restored = false;
  const restore = (): void => {
    if (restored) return;
    restored = true;
    Object.defineProperty(globalThis, 'fetch', original);
  };
  const firstFetch = function (this: unknown, ...args: unknown[]): unknown {
    restore();
    try {
      onFirstCall();
    } catch {
      // Tracing must never stand between the app and its request.
    }
    return (globals.fetch as Fetch).apply(this, args);
  };
  Object.defineProperty(firstFetch, 'name', { value: 'fetch' });
  Object.defineProperty(globalThis, 'fetch', {
    configurable: true,
    enumerable: original.enumerable ?? false,
    get: () => firstFetch,
    set: (value: unknown) => {
      restore();
      globals.fetch = value;
    },
  });
  return restore;
}
