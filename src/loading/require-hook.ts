/**
 * The `Hook` of require-in-the-middle 8 (the contract the instrumentation
 * package's require hooks are built on), at a fraction of its cost: the
 * bundles take this module wherever the package is required
 * (scripts/bundle.mjs). Every instrumentation sees the same calls: the
 * same `(exports, name, basedir)` for the same modules, the exports it
 * returns handed to every later require of the module, a module loaded
 * before the hook handled at its next require, a require under way
 * (circular) left alone.
 *
 * Why not the package: it resolves every require() call a second time
 * before passing it on, loaded modules included, and resolves a package's
 * main once more for each file of the package. Loading an AWS SDK v3 client
 * on Node 22 (whose resolver reads package scopes in JavaScript) took 4.3 ms
 * more under it, 1.4 ms under this; express, pg, koa, pino, winston, ioredis
 * and mysql2 together 31 ms more, against 3.5. Here the module a require()
 * reached is read from the requiring module's `children` (Node's documented
 * list of the modules it required first), so a require resolves once, as
 * without a hook; only a module required again by the same module is looked
 * up, through a cache of Node's own rule (same directory and request, while
 * the file stays loaded), and a package's main comes from the require that
 * reached it.
 */
import { parse, posix, relative, sep } from 'node:path';

export interface HookOptions {
  internals?: boolean;
}
export type OnRequireFn = <T>(exports: T, name: string, basedir?: string) => T;

interface LoadedModule {
  filename: string;
  loaded: boolean;
  exports: unknown;
  children?: LoadedModule[];
  path?: string;
  [patched: symbol]: unknown;
}
type Require = (this: LoadedModule, id: string) => unknown;
type GetBuiltinModule = (id: string) => unknown;

interface ModuleInternals {
  prototype: { require: Require };
  _resolveFilename(request: string, parent: unknown): string;
  _cache: Record<string, LoadedModule | undefined>;
  isBuiltin(id: string): boolean;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module object itself: esbuild's namespace copies of it are read-only
const moduleApi = require('node:module') as ModuleInternals;
// process.getBuiltinModule: Node >= 20.16 / 22.3; the package hooks it too.
const host = process as { getBuiltinModule?: GetBuiltinModule };

// 'foo/bar.js' or 'foo/bar/index.js' -> 'foo/bar', as require-in-the-middle names a file inside a package.
const INDEX_OR_JS = /([/\\]index)?(\.js)?$/;

/** The package a file lies in, as module-details-from-path reads it: `name`, its directory, the file's path inside it. */
export function moduleDetails(file: string): { name: string; basedir: string; path: string } | undefined {
  const segments = file.split(sep);
  const index = segments.lastIndexOf('node_modules');
  const first = segments[index + 1];
  if (index === -1 || !first) return undefined;
  const scoped = first[0] === '@';
  const offset = scoped ? 3 : 2;
  return {
    name: scoped ? `${first}/${String(segments[index + 2])}` : first,
    basedir: segments.slice(0, index + offset).join(sep),
    path: segments.slice(index + offset).join(sep),
  };
}

/**
 * Requires under way, outermost first: the requiring module, how many
 * children it had before, the request. The module a require reaches is its
 * requirer's child at that index as soon as Node creates it, before its code
 * runs: a package's main is known while its files load.
 */
interface InFlight {
  parent: LoadedModule;
  before: number;
  id: string;
}
const inFlight: InFlight[] = [];

// A package's main file by its directory and name (undefined: none a require could reach).
const mainFiles = new Map<string, string | undefined>();

/**
 * The file require(name) reaches from the package's own directory, as
 * require-in-the-middle resolves it for every file it sees. A require of
 * the bare name that reached a file of the package answers it: from the
 * package's directory Node finds the package itself, by the same rules. A
 * resolution happens only for a package whose files load with no such
 * require (a deep import first).
 */
function mainFileOf(name: string, basedir: string): string | undefined {
  const key = `${basedir}\0${name}`;
  if (mainFiles.has(key)) return mainFiles.get(key);
  const inside = basedir + sep;
  for (let i = inFlight.length - 1; i >= 0; i--) {
    const { parent, before, id } = inFlight[i] as InFlight;
    const reached = id === name ? parent.children?.[before]?.filename : undefined;
    if (reached !== undefined && reached.startsWith(inside)) {
      mainFiles.set(key, reached);
      return reached;
    }
  }
  let main: string | undefined;
  try {
    main = require.resolve(name, { paths: [basedir] });
  } catch {
    main = undefined;
  }
  mainFiles.set(key, main);
  return main;
}

export class Hook {
  private readonly state = { unhooked: false };
  private readonly originalRequire: Require;
  private readonly hookedRequire: Require;
  private readonly originalGetBuiltinModule: GetBuiltinModule | undefined;
  private readonly hookedGetBuiltinModule: GetBuiltinModule | undefined;

  constructor(modules: string[] | null, options: HookOptions | null, onrequire: OnRequireFn);
  constructor(modules: string[] | null, onrequire: OnRequireFn);
  constructor(onrequire: OnRequireFn);
  constructor(modulesOrHook: string[] | null | OnRequireFn, optionsOrHook?: HookOptions | null | OnRequireFn, hook?: OnRequireFn) {
    const modules = typeof modulesOrHook === 'function' ? null : modulesOrHook;
    const options = typeof optionsOrHook === 'function' ? null : optionsOrHook;
    const onrequire = (typeof modulesOrHook === 'function' ? modulesOrHook : typeof optionsOrHook === 'function' ? optionsOrHook : hook) as OnRequireFn;
    const internals = options?.internals === true;
    const state = this.state;
    // Patched exports: a built-in's by its name; a file's on its entry in
    // require.cache, so deleting the entry loads and patches it afresh.
    const patchedExports = Symbol('patched exports');
    const builtins = new Map<string, unknown>();
    // A module required again by the module that required it first: its file, by Node's own relative-resolve rule.
    const requiredAgain = new Map<string, string>();

    const originalRequire = (this.originalRequire = moduleApi.prototype.require);

    // What `onrequire` is called with for a loaded file (require-in-the-middle's rules), or undefined for none.
    const nameOf = (id: string, filename: string): { name: string; basedir: string | undefined } | undefined => {
      if (modules !== null && modules.includes(filename)) {
        const parsed = parse(filename);
        return { name: parsed.name, basedir: parsed.dir };
      }
      const details = moduleDetails(filename);
      if (details === undefined) return undefined;
      let name = details.name;
      if (id === name) mainFiles.set(`${details.basedir}\0${name}`, filename);
      if (modules !== null) {
        const full = posix.join(details.name, sep === '/' ? details.path : details.path.split(sep).join('/')).replace(INDEX_OR_JS, '');
        let matched = false;
        if (!id.startsWith('.') && modules.includes(id)) {
          name = id;
          matched = true;
        }
        if (!modules.includes(name) && !modules.includes(full)) return undefined;
        if (modules.includes(full) && full !== name) {
          name = full;
          matched = true;
        }
        if (matched) return { name, basedir: details.basedir };
      }
      const main = mainFileOf(name, details.basedir);
      if (main === undefined) return undefined;
      if (main !== filename) {
        if (!internals) return undefined;
        name = name + sep + relative(details.basedir, filename);
      }
      return { name, basedir: details.basedir };
    };

    // A file module the require reached: patched once, its patched exports returned from then on.
    const handOver = (id: string, module: LoadedModule, exports: unknown): unknown => {
      if (patchedExports in module) return module[patchedExports];
      // Circular: the module is still running its own code; its require of this module gets the partial exports.
      if (!module.loaded) return exports;
      const named = nameOf(id, module.filename);
      module[patchedExports] = exports;
      if (named === undefined) return exports;
      const patched = onrequire(exports, named.name, named.basedir);
      module[patchedExports] = patched;
      return patched;
    };

    const builtin = (id: string, load: () => unknown): unknown => {
      const key = id.startsWith('node:') && moduleApi.isBuiltin(id.slice(5)) ? id.slice(5) : id;
      if (builtins.has(key)) return builtins.get(key);
      const exports = load();
      if (builtins.has(key)) return exports;
      if (modules !== null && !modules.includes(key)) return exports;
      builtins.set(key, exports);
      const patched = onrequire(exports, key);
      builtins.set(key, patched);
      return patched;
    };

    this.hookedRequire = moduleApi.prototype.require = function (this: LoadedModule, id: string): unknown {
      if (state.unhooked) return originalRequire.call(this, id);
      if (moduleApi.isBuiltin(id)) return builtin(id, () => originalRequire.call(this, id));
      const children = this?.children;
      if (!Array.isArray(children) || typeof id !== 'string') return resolvedRequire(this, id);
      const before = children.length;
      inFlight.push({ parent: this, before, id });
      let exports: unknown;
      try {
        exports = originalRequire.call(this, id);
      } finally {
        inFlight.pop();
      }
      // Node lists a module among its requirer's children when the requirer first reaches it, before its code runs.
      const module = children.length > before ? children[before] : undefined;
      if (module !== undefined) {
        requiredAgain.set(`${this.path}\0${id}`, module.filename);
        return handOver(id, module, exports);
      }
      const known = requiredAgain.get(`${this.path}\0${id}`);
      const again = known === undefined ? undefined : moduleApi._cache[known];
      if (again !== undefined) return handOver(id, again, exports);
      return lookedUp(this, id, exports);
    };

    // The require came from no module with children (a hand-made parent): resolve first, as require-in-the-middle does.
    const resolvedRequire = (parent: LoadedModule, id: string): unknown => {
      let filename: string;
      try {
        filename = moduleApi._resolveFilename(id, parent);
      } catch {
        return originalRequire.call(parent, id);
      }
      const cached = moduleApi._cache[filename];
      if (cached !== undefined && patchedExports in cached) return cached[patchedExports];
      const exports = originalRequire.call(parent, id);
      const module = moduleApi._cache[filename];
      return module === undefined ? exports : handOver(id, module, exports);
    };

    // A module this one required before, not yet seen by the hook (loaded before it existed): resolved once.
    const lookedUp = (parent: LoadedModule, id: string, exports: unknown): unknown => {
      let filename: string;
      try {
        filename = moduleApi._resolveFilename(id, parent);
      } catch {
        return exports;
      }
      const module = moduleApi._cache[filename];
      if (module === undefined) return exports;
      requiredAgain.set(`${parent.path}\0${id}`, filename);
      return handOver(id, module, exports);
    };

    const getBuiltinModule = host.getBuiltinModule;
    this.originalGetBuiltinModule = getBuiltinModule;
    if (typeof getBuiltinModule === 'function') {
      this.hookedGetBuiltinModule = host.getBuiltinModule = function (this: unknown, id: string): unknown {
        if (state.unhooked || typeof id !== 'string' || !moduleApi.isBuiltin(id)) return getBuiltinModule.call(this, id);
        return builtin(id, () => getBuiltinModule.call(this, id));
      };
    }
  }

  unhook(): void {
    this.state.unhooked = true;
    if (moduleApi.prototype.require === this.hookedRequire) moduleApi.prototype.require = this.originalRequire;
    if (this.hookedGetBuiltinModule !== undefined && host.getBuiltinModule === this.hookedGetBuiltinModule) host.getBuiltinModule = this.originalGetBuiltinModule;
  }
}
