/**
 * Loads stage 2 (start.js, the SDK bundle) and, in the layer, the
 * instrumentation chunks. In the Lambda layer, a V8 code cache built for the
 * Node version at layer build time (`<file>.v8-<V8 version>.cache`,
 * scripts/build-layer.mjs) lets V8 skip compiling the bundle, and the
 * functions a cold start calls (start.js's cache is written after a rehearsal
 * of one; a chunk's after its evaluation), in a new sandbox, whose /tmp holds
 * no compile cache yet. V8 checks the cache against its own version and the source, and
 * compiles as usual when it does not match; anything unexpected falls back
 * to require().
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vm from 'node:vm';
import type * as StartModule from '../start';

/* eslint-disable @typescript-eslint/no-require-imports -- Module is reached through require('node:module'), stage 2 through require */

type ModuleInternals = {
  new (id: string, parent?: unknown): { exports: unknown; filename: string; paths: string[]; loaded: boolean };
  _nodeModulePaths(dir: string): string[];
  _cache: Record<string, unknown>;
  wrap(source: string): string;
  createRequire(filename: string): NodeJS.Require;
};

/** The cache file for this V8: Node releases of one line usually share it. */
export function cacheFileFor(startFile: string, v8 = process.versions.v8): string {
  return `${startFile}.v8-${v8}.cache`;
}

export function loadStageTwo(dir: string): typeof StartModule {
  return loadWithCodeCache(path.join(dir, 'start.js')) as typeof StartModule;
}

/** require(file), through the V8 code cache beside it when there is one (stage 2, and the instrumentation chunks of the layer). */
export function loadWithCodeCache(file: string): unknown {
  const cache = cacheFileFor(file);
  const Module = require('node:module') as ModuleInternals;
  let wrapper: Wrapper | undefined;
  if (existsSync(cache) && Module._cache[file] === undefined) {
    try {
      const script = new vm.Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(cache) });
      wrapper = script.runInThisContext() as Wrapper;
    } catch {
      wrapper = undefined; // the plain require below is always right
    }
  }
  return wrapper === undefined ? (require(file) as unknown) : run(Module, wrapper, file);
}

type Wrapper = (exports: unknown, require: NodeJS.Require, module: unknown, filename: string, dirname: string) => void;

/** Runs the compiled module as require() would: one module object, in require's cache. */
function run(Module: ModuleInternals, wrapper: Wrapper, file: string): unknown {
  const mod = new Module(file, module);
  mod.filename = file;
  mod.paths = Module._nodeModulePaths(path.dirname(file));
  Module._cache[file] = mod;
  try {
    wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
  } catch (error) {
    delete Module._cache[file];
    throw error;
  }
  mod.loaded = true;
  return mod.exports;
}
