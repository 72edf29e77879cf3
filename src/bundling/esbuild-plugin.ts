/**
 * `otel-xray-datadog/esbuild`: an esbuild plugin for applications bundled
 * with esbuild (directly, or through serverless-esbuild and other tools that
 * take plugins). Every CommonJS file of a package in the instrumentation
 * catalog that the bundle inlines gets one call appended: at run time it
 * hands the file's exports to the tracing preload, which patches them as its
 * require hook would have (loading/bundled-modules.ts). The package's version
 * is read here, at build time, so version-gated patches see the real one.
 *
 * A bundle that inlines none of the catalog's packages is unchanged; one
 * that inlines one library loads that library's instrumentation only, when
 * the library's code first runs. Without the preload, the appended calls do
 * nothing. ES module files of those packages are left as they are (the
 * packages we instrument ship CommonJS for Node; see docs/bundling.md).
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import { dirname, join, relative, sep } from 'node:path';
import type { Plugin } from 'esbuild';
import { INSTRUMENTATION_CATALOG } from '../loading/instrumentation-catalog';

interface PackageInfo {
  name: string;
  version: string;
  root: string;
  /** The main file, relative to the root, with `/` separators. */
  main: string | undefined;
  esm: boolean;
}

const HOOK = "Symbol.for('otel-xray-datadog.bundled-module')";
// A line that starts an ES module statement: such a file has no `module` to hand over.
const ESM_SYNTAX = /^\s*(?:export\s|import\s*[\w{*'"])/m;

/** The packages whose files get the call: the catalog's triggers, without Node's built-ins. */
export function instrumentedPackages(): Set<string> {
  const packages = new Set<string>();
  for (const entry of Object.values(INSTRUMENTATION_CATALOG)) for (const trigger of entry.triggers) if (!isBuiltin(trigger)) packages.add(trigger);
  return packages;
}

export function otelXrayDatadogPlugin(): Plugin {
  const packages = instrumentedPackages();
  const infos = new Map<string, PackageInfo | undefined>();
  return {
    name: 'otel-xray-datadog',
    setup(build) {
      build.onLoad({ filter: /[\\/]node_modules[\\/].*\.c?js$/ }, async (args) => {
        if (args.namespace !== 'file') return undefined;
        const info = packageInfo(args.path, packages, infos);
        if (info === undefined || info.esm || args.path.endsWith('.mjs')) return undefined;
        const source = await readFile(args.path, 'utf8');
        if (ESM_SYNTAX.test(source)) return undefined;
        const file = relative(info.root, args.path).split(sep).join('/');
        const call =
          `\n;(function(){var h=globalThis[${HOOK}];if(typeof h==='function'){` +
          `var r=h(${JSON.stringify(info.name)},${JSON.stringify(info.version)},${JSON.stringify(file)},${file === info.main},module.exports);` +
          `if(r!==undefined)module.exports=r;}})();\n`;
        return { contents: source + call, loader: 'js', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** The instrumented package a file belongs to (read once per package), or undefined. */
function packageInfo(file: string, packages: ReadonlySet<string>, cache: Map<string, PackageInfo | undefined>): PackageInfo | undefined {
  const marker = `${sep}node_modules${sep}`;
  const at = file.lastIndexOf(marker);
  if (at === -1) return undefined;
  const parts = file.slice(at + marker.length).split(sep);
  const name = parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  if (name === undefined || !packages.has(name)) return undefined;
  const root = file.slice(0, at + marker.length) + name.split('/').join(sep);
  if (cache.has(root)) return cache.get(root);
  let info: PackageInfo | undefined;
  try {
    const manifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version?: unknown; main?: unknown; type?: unknown };
    if (typeof manifest.version === 'string') {
      info = { name, version: manifest.version, root, main: mainFile(root, manifest.main), esm: manifest.type === 'module' };
    }
  } catch {
    info = undefined;
  }
  cache.set(root, info);
  return info;
}

/** The file `main` names, as Node would find it: itself, with `.js`, or its `index.js`. */
function mainFile(root: string, main: unknown): string | undefined {
  const base = (typeof main === 'string' && main !== '' ? main : 'index.js').replace(/^\.\//, '').replace(/\/$/, '');
  for (const candidate of [base, `${base}.js`, `${base}/index.js`]) {
    try {
      readFileSync(join(root, candidate));
      return candidate;
    } catch {
      // next candidate
    }
  }
  return undefined;
}
