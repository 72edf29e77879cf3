/**
 * Wraps the handler export of a CommonJS handler file as Node loads it.
 * Node runs that file through Module._extensions however the runtime asks for
 * it: require() on nodejs20.x/22.x (aws-lambda-ric 3), import() on nodejs24.x
 * (aws-lambda-ric 4: Node's CommonJS translator loads the file through
 * Module._load; verified on Node 20, 22 and 24). The exports are replaced
 * right after the file has run, before Node 20 and 22 take the snapshot of
 * module.exports that import() hands out. Wrapping there needs neither the
 * OpenTelemetry instrumentation base nor its require and import hooks, which
 * a function that loads no instrumented library then never loads (~6 ms of
 * every cold start, measured in-process on Node 24); only ES module handler
 * files need the ES module hook.
 *
 * esbuild's CommonJS output of `export const handler` (CDK NodejsFunction,
 * SAM, serverless-esbuild) defines every export as a getter that cannot be
 * redefined. The runtime is then handed a copy of the exports object with the
 * handler wrapped and every other export still the bundle's own getter.
 */
import { realpathSync } from 'node:fs';
import { extname } from 'node:path';
import { log } from '../config/diagnostics';

type LoadedModule = { exports: unknown };
type Extension = (this: unknown, module: LoadedModule, filename: string) => void;
type ModuleInternals = { _extensions: Record<string, Extension | undefined> };
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/* eslint-disable @typescript-eslint/no-require-imports -- Module._extensions is reached through require('node:module') */

/** Replaces the `exportName` export of `file` by `wrap(handler)` when Node runs the file, once. */
export function wrapCommonJsHandler(file: string, exportName: string, wrap: (handler: AnyFunction) => AnyFunction): void {
  const { _extensions: extensions } = require('node:module') as ModuleInternals;
  // Node runs a file whose extension has no loader of its own (.cjs) with the .js one.
  const extension = extensions[extname(file)] === undefined ? '.js' : extname(file);
  const original = extensions[extension];
  if (typeof original !== 'function') return;
  // Node names a module by its real path.
  const names = new Set([file, realPath(file)]);
  let done = false;
  extensions[extension] = function (this: unknown, module: LoadedModule, filename: string): void {
    original.call(this, module, filename);
    if (done || !names.has(filename)) return;
    done = true;
    try {
      module.exports = withWrappedExport(module.exports, exportName, wrap);
    } catch (error) {
      log.warn(`the handler ${exportName} of ${file} could not be wrapped (${String(error)}); invocations are not traced`);
    }
  };
}

function realPath(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return file;
  }
}

/**
 * `exports` with its `name` function wrapped: in place where the property can
 * be replaced, else a copy of the object. Anything that is not a function
 * there is left alone, so the runtime reports a missing handler as it would
 * without tracing.
 */
export function withWrappedExport(exports: unknown, name: string, wrap: (handler: AnyFunction) => AnyFunction): unknown {
  if ((typeof exports !== 'object' && typeof exports !== 'function') || exports === null) return exports;
  const target = exports as Record<string, unknown>;
  const handler = target[name];
  if (typeof handler !== 'function') return exports;
  const wrapped = wrap(handler as AnyFunction);
  const own = Object.getOwnPropertyDescriptor(target, name);
  if (Object.isExtensible(target) && (own === undefined || own.configurable === true)) {
    Object.defineProperty(target, name, { value: wrapped, writable: true, enumerable: own?.enumerable ?? true, configurable: true });
    return exports;
  }
  if (own !== undefined && own.writable === true) {
    target[name] = wrapped;
    return exports;
  }
  if (typeof exports === 'function') throw new Error(`the export ${name} cannot be replaced`);
  const descriptors = Object.getOwnPropertyDescriptors(target);
  delete descriptors[name];
  const copy = Object.create(Object.getPrototypeOf(target) as object | null, descriptors) as Record<string, unknown>;
  Object.defineProperty(copy, name, { value: wrapped, writable: true, enumerable: own?.enumerable ?? true, configurable: true });
  return copy;
}
