/**
 * Loads stage 2 (start.js, the SDK bundle) and, in the layer, the
 * instrumentation chunks. In the Lambda layer, a V8 code cache built for the
 * Node version (and, before V8 13, the heap sizes) at layer build time
 * (cacheFileFor, scripts/build-layer.mjs) lets V8 skip compiling the bundle, and the
 * functions a cold start calls (start.js's cache is written after a rehearsal
 * of one; a chunk's after its evaluation), in a new sandbox, whose /tmp holds
 * no compile cache yet. V8 checks the cache against its own version and the source, and
 * compiles as usual when it does not match; anything unexpected falls back
 * to require().
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';
import type * as StartModule from '../start';

/* eslint-disable @typescript-eslint/no-require-imports -- Module is reached through require('node:module'), stage 2 through require */

type ModuleInternals = {
  new (id: string, parent?: unknown): { exports: unknown; filename: string; paths: string[]; loaded: boolean };
  _nodeModulePaths(dir: string): string[];
  _cache: Record<string, unknown>;
  wrap(source: string): string;
  createRequire(filename: string): NodeJS.Require;
};

/**
 * V8 accepts a code cache only under the V8 flags it was written with. Before
 * V8 13 (Node 20 and 22) the heap sizes are among them, and the managed
 * runtimes' bootstrap derives those from the function's memory size: for
 * those lines the layer ships start.js's cache per common memory size, named
 * by the sizes on this process's command line (none there: the plain name).
 * Measured: V8 11.3 and 12.4 reject a cache written under other heap sizes;
 * V8 13.6 does not.
 */
export function heapFlagsKey(execArgv: readonly string[] = process.execArgv, v8 = process.versions.v8): string {
  if (Number(v8.split('.')[0]) >= 13) return '';
  // The last one given wins, as for V8; `_` and `-` are one to V8.
  const value = (name: string): string | undefined => {
    let found: string | undefined;
    for (const arg of execArgv) {
      const [flag, given] = arg.replace(/_/g, '-').split('=');
      if (flag === `--${name}` && given !== undefined && /^\d+$/.test(given)) found = given;
    }
    return found;
  };
  const semi = value('max-semi-space-size');
  const old = value('max-old-space-size');
  return semi === undefined && old === undefined ? '' : `semi${semi ?? '-'}.old${old ?? '-'}`;
}

/** The cache file for this V8 (Node releases of one line usually share it) and, before V8 13, these heap sizes. */
export function cacheFileFor(file: string, v8 = process.versions.v8, key = heapFlagsKey(process.execArgv, v8)): string {
  return `${file}.v8-${v8}${key === '' ? '' : `.${key}`}.cache`;
}

// True in the Lambda layer's one bundle (scripts/bundle.mjs bundleLambda), which holds stage 2
// itself: in Lambda stage 2 always loads at init, and one file with one code cache cost ~1.5 ms
// less than preload.js and start.js, each read and deserialized on its own, with the configuration
// modules in both. False in the npm package's preload.js, which loads start.js at first use.
declare const OTEL_XRAY_DD_STAGE_TWO_INSIDE: boolean | undefined;

export function loadStageTwo(dir: string): typeof StartModule {
  if (typeof OTEL_XRAY_DD_STAGE_TWO_INSIDE !== 'undefined' && OTEL_XRAY_DD_STAGE_TWO_INSIDE) return require('../start') as typeof StartModule;
  return loadWithCodeCache(join(dir, 'start.js')) as typeof StartModule;
}

/** require(file), through the V8 code cache beside it when there is one (stage 2, and the instrumentation chunks of the layer). */
export function loadWithCodeCache(file: string): unknown {
  const cache = cacheFileFor(file);
  const Module = require('node:module') as ModuleInternals;
  let wrapper: Wrapper | undefined;
  if (existsSync(cache) && Module._cache[file] === undefined) {
    try {
      const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(cache) });
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
  mod.paths = Module._nodeModulePaths(dirname(file));
  Module._cache[file] = mod;
  try {
    wrapper.call(mod.exports, mod.exports, Module.createRequire(file), mod, file, dirname(file));
  } catch (error) {
    delete Module._cache[file];
    throw error;
  }
  mod.loaded = true;
  return mod.exports;
}
