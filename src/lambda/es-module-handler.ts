/**
 * Wraps an ES module handler file's export as the runtime imports it, with an
 * in-thread load hook of our own (module.registerHooks) instead of
 * import-in-the-middle and the instrumentation base: the runtime's import of
 * the handler file gets a module that re-exports the file's own module (the
 * same file under a query) with the handler export wrapped. Measured on
 * Node 24 under aws-lambda-ric 4: import-in-the-middle cost an ES module
 * handler's cold start ~25 ms, for a file it only needed one export of.
 *
 * - Every other export is the original's live binding (export *).
 * - `default` is the original's default, or undefined where it has none,
 *   which the runtime reads only when the handler export is missing.
 * - A handler export that is not a function is passed on as it is, so the
 *   runtime's own errors stay what they are untraced.
 */
import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { inThreadHooks } from '../loading/esm-hook';
import type { HandlerLocation } from './handler-file';

type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

const WRAP_KEY = 'otel-xray-datadog.lambda.wrapHandler';
const ORIGINAL_QUERY = 'otel-xray-datadog=handler';
// An export name the wrapper can declare: a nested ("index.a.handler") or non-identifier one is left to the instrumentation base.
const PLAIN_EXPORT = /^[A-Za-z_$][\w$]*$/;

/** The wrapper module's source for the handler file at `url`. */
export function wrapperSource(url: string, exportName: string): string {
  const original = JSON.stringify(`${url}?${ORIGINAL_QUERY}`);
  return [
    `import * as original from ${original};`,
    `export * from ${original};`,
    'export default original.default;',
    `export const ${exportName} = globalThis[Symbol.for(${JSON.stringify(WRAP_KEY)})](original.${exportName});`,
    '',
  ].join('\n');
}

/** Hooks the handler file; false where it cannot (no in-thread hooks, an export name it cannot declare): the caller wraps it otherwise. */
export function hookEsModuleHandler(handler: HandlerLocation, wrap: (original: AnyFunction) => AnyFunction): boolean {
  if (!PLAIN_EXPORT.test(handler.exportName) || handler.exportName === 'default') return false;
  const registerHooks = inThreadHooks();
  if (registerHooks === undefined) return false;
  const urls = new Set([pathToFileURL(handler.file).href]);
  try {
    urls.add(pathToFileURL(realpathSync(handler.file)).href);
  } catch {
    // the runtime will fail to import it too
  }
  (globalThis as Record<symbol, unknown>)[Symbol.for(WRAP_KEY)] = (value: unknown): unknown => (typeof value === 'function' ? wrap(value as AnyFunction) : value);
  registerHooks({
    load(url, context, next) {
      if (!urls.has(url)) return next(url, context);
      return { format: 'module', source: wrapperSource(url, handler.exportName), shortCircuit: true };
    },
  });
  return true;
}
