/**
 * nodejs24.x imports every handler with import(). A CommonJS handler file
 * imported that way is still loaded by Module._load (Node's CommonJS
 * translator calls it with the file's absolute name, on Node 20, 22 and 24),
 * and the module namespace is read from module.exports afterwards. Patching
 * the export there spares a CommonJS handler the ES module hook
 * (import-in-the-middle and its registration: ~9 ms of every cold start,
 * measured); only ES module handler files need the hook.
 */
import { isAbsolute, resolve } from 'node:path';

type Load = (request: string, parent: unknown, isMain: boolean) => unknown;

/* eslint-disable @typescript-eslint/no-require-imports -- Module._load is reached through require('node:module') */

/** Calls `patch` with the exports of `file` when Module._load loads it, once. */
export function patchOnCommonJsLoad(file: string, patch: (exports: Record<string, unknown>) => void): void {
  const Module = require('node:module') as { _load: Load };
  const original = Module._load;
  let patched = false;
  Module._load = function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
    const exports = original.call(this, request, parent, isMain);
    if (!patched && typeof request === 'string' && isAbsolute(request) && (request === file || resolve(request) === file) && typeof exports === 'object' && exports !== null) {
      patched = true;
      patch(exports as Record<string, unknown>);
    }
    return exports;
  };
}
