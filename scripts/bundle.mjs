// The preload as the npm package and the Lambda layer ship it: esbuild bundles, so
// start-up compiles a few files instead of hundreds.
//   <dir>/preload.js                     stage 1: configuration and load triggers only
//   <dir>/start.js                       stage 2: SDK, exporter, propagation, Lambda glue (loaded at first use)
//   <dir>/instrumentations/<name>.js     one chunk per instrumentation package, loaded when its library is
// The Lambda layer has one bundle, lambda.js, in place of the two stages (in Lambda stage 2 loads at
// init), and the same chunks.
// Chunks take @opentelemetry/api, /instrumentation and /core from stage 2 (one copy of
// each): their banner puts the shared modules in front of the chunk's own require.
// Usage: node scripts/bundle.mjs <dir>   (npm run build bundles into dist/, over tsc's files)
import fs from 'node:fs';
import path from 'node:path';
import { createRequire, isBuiltin } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  // The OpenTelemetry packages ship ES module builds marked side-effect free:
  // bundling those lets esbuild drop what we never call (most of semantic
  // conventions, the metrics and logs halves of the OTLP transformer).
  mainFields: ['module', 'main'],
  alias: { debug: path.join(repo, 'layer', 'debug-off.js') },
  define: { OTEL_XRAY_DD_LAYER_CHUNKS: 'true', OTEL_XRAY_DD_STAGE_TWO_INSIDE: 'false' },
  // The global `performance` of every bundle, ours and the packages', is the process clock
  // (src/loading/process-clock.ts): Node's own loads nine internal modules at first use.
  inject: [path.join(repo, 'src', 'loading', 'process-clock.ts')],
  logLevel: 'warning',
};

// Stage 1 (the preload) is configuration and load triggers only: it may reach
// src/config/ and src/loading/, and stage 2 only through require('./start'),
// kept as a file of its own. Anything else it reaches fails the build, so the
// boundary is a rule of the layout, not a list of files.
const STAGE_1_FOLDERS = ['config', 'loading'].map((folder) => path.join(repo, 'src', folder) + path.sep);
const stage1Only = {
  name: 'stage-1-only',
  setup(b) {
    b.onResolve({ filter: /^\.\/start$/ }, () => ({ path: './start.js', external: true }));
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, (args) => {
      if (args.path === path.join(repo, 'src', 'preload.ts') || STAGE_1_FOLDERS.some((folder) => args.path.startsWith(folder))) return undefined;
      return { errors: [{ text: `stage 1 (the preload) reaches ${path.relative(repo, args.path)}: only src/config/ and src/loading/ may be loaded before tracing starts` }] };
    });
  },
};

// A deep import of a file of an OpenTelemetry package (src/loading/on-demand-loader.ts) names
// its CommonJS build, which is what Node loads from tsc's output; the bundle takes the package
// from its ES module build (mainFields above), so the same file must come from there too, or
// the bundle would hold two copies of it (two require hooks).
const OTEL_DEEP_IMPORT = /^(@opentelemetry\/[^/]+)\/build\/src\/(.+)$/;
const sameBuildForDeepImports = {
  name: 'same-build-for-deep-imports',
  setup(b) {
    b.onResolve({ filter: OTEL_DEEP_IMPORT }, async (args) => {
      const [, pkg, file] = OTEL_DEEP_IMPORT.exec(args.path);
      return b.resolve(`${pkg}/build/esm/${file}`, { kind: args.kind, resolveDir: args.resolveDir });
    });
  },
};

// The OpenTelemetry instrumentation package's import of import-in-the-middle is served by
// src/loading/import-hooks.ts, which loads the real package only once the ES module loader hook
// is registered; every other import of it (ours) stays the real, external package.
const INSTRUMENTATION_PACKAGE = `${path.sep}node_modules${path.sep}@opentelemetry${path.sep}instrumentation${path.sep}`;
const deferredImportHooks = {
  name: 'deferred-import-hooks',
  setup(b) {
    b.onResolve({ filter: /^import-in-the-middle$/ }, (args) =>
      args.importer.includes(INSTRUMENTATION_PACKAGE) ? { path: path.join(repo, 'src', 'loading', 'import-hooks.ts') } : undefined,
    );
  },
};

// require-in-the-middle, which the instrumentation package builds its require hooks on, is served
// by src/loading/require-hook.ts: the same Hook contract without a second resolution of every
// require() (test/unit/loading/require-hook.test.mjs holds it to the package's behaviour).
const ownRequireHook = {
  name: 'own-require-hook',
  setup(b) {
    b.onResolve({ filter: /^require-in-the-middle$/ }, () => ({ path: path.join(repo, 'src', 'loading', 'require-hook.ts') }));
  },
};

// The ES module builds of the OpenTelemetry packages import Node's built-ins by namespace
// (`import * as fs from 'fs'`), which esbuild turns into a getter-per-export copy of the module
// (its __toESM), made again at each such import: at a Lambda cold start, 12 copies and ~410
// getters. Where a file uses the namespace only for its members (never `.default`), the
// built-in's own module object serves it unchanged, so the import becomes a plain require.
const NAMESPACE_IMPORT = /^import \* as ([A-Za-z_$][\w$]*) from (['"])((?:node:)?[a-z_/]+)\2;?$/gm;
const OTEL_ESM_BUILD = /[\\/]node_modules[\\/]@opentelemetry[\\/][^\\/]+[\\/]build[\\/]esm[\\/].*\.js$/;
export function requireBuiltinNamespaces(source) {
  return source.replace(NAMESPACE_IMPORT, (statement, name, quote, id) => {
    if (!isBuiltin(id) || new RegExp(`\\b${name.replace(/\$/g, '\\$')}\\s*(?:\\.\\s*default\\b|\\[)`).test(source)) return statement;
    return `const ${name} = require(${quote}${id}${quote});`;
  });
}
const builtinNamespacesAsRequire = {
  name: 'builtin-namespaces-as-require',
  setup(b) {
    b.onLoad({ filter: OTEL_ESM_BUILD }, async (args) => {
      const source = await fs.promises.readFile(args.path, 'utf8');
      const rewritten = requireBuiltinNamespaces(source);
      return rewritten === source ? undefined : { contents: rewritten, loader: 'js' };
    });
  },
};

// Each instrumentation package requires the stable semantic conventions as one CommonJS object
// (~650 names), which esbuild cannot trim: every chunk carried all of it, and evaluating it was
// ~4 ms of the chunk's load (measured on Node 24, instrumentation-aws-sdk). A chunk is built
// twice: the first build lists its files; the second gets a semantic-conventions module holding
// only the names those files mention (a superset of what they read).
const SEMCONV = /[\\/]@opentelemetry[\\/]semantic-conventions[\\/]dist[\\/]index\.cjs$/;
// The package's own files list every name; the names a chunk uses come from the other files only.
const SEMCONV_PACKAGE = /[\\/]@opentelemetry[\\/]semantic-conventions[\\/]/;
const IDENTIFIER = /[A-Za-z_$][\w$]*/g;

async function buildChunk(options) {
  const { metafile } = await build({ ...options, write: false, metafile: true });
  const mentioned = new Set();
  for (const file of Object.keys(metafile.inputs)) {
    if (SEMCONV_PACKAGE.test(file) || !fs.existsSync(file)) continue;
    for (const [name] of fs.readFileSync(file, 'utf8').matchAll(IDENTIFIER)) mentioned.add(name);
  }
  const onlyMentioned = {
    name: 'semantic-conventions-mentioned-only',
    setup(b) {
      b.onLoad({ filter: SEMCONV }, (args) => {
        const all = createRequire(args.path)(args.path);
        const lines = Object.keys(all)
          .filter((name) => mentioned.has(name))
          .map((name) => `exports.${name} = ${typeof all[name] === 'function' ? all[name].toString() : JSON.stringify(all[name])};`);
        return { contents: lines.join('\n'), loader: 'js' };
      });
    },
  };
  await build({ ...options, plugins: [...(options.plugins ?? []), onlyMentioned] });
}

// Stage 2, in start.js or inside the layer's lambda.js. import-in-the-middle runs its loader hook
// in another thread and must stay a package; @aws-sdk/client-lambda (function tags) is the one the
// Lambda runtime provides.
const stage2 = {
  external: ['import-in-the-middle', '@aws-sdk/client-lambda'],
  plugins: [sameBuildForDeepImports, deferredImportHooks, ownRequireHook, builtinNamespacesAsRequire],
};

/** The npm package's bundles: preload.js, start.js and the chunks. */
export async function bundlePreload(dir) {
  const stage1 = await build({
    ...common,
    entryPoints: [path.join(repo, 'src', 'preload.ts')],
    outfile: path.join(dir, 'preload.js'),
    plugins: [stage1Only],
    metafile: true,
  });
  const start = await build({ ...common, ...stage2, entryPoints: [path.join(repo, 'src', 'start.ts')], outfile: path.join(dir, 'start.js'), metafile: true });
  const chunks = await bundleChunks(dir);
  return { inputs: Object.keys(stage1.metafile.inputs).length + Object.keys(start.metafile.inputs).length, chunks };
}

/** The Lambda layer's bundles: lambda.js (the preload with stage 2 inside, src/loading/stage-two.ts) and the chunks. */
export async function bundleLambda(dir) {
  const lambda = await build({
    ...common,
    ...stage2,
    define: { ...common.define, OTEL_XRAY_DD_STAGE_TWO_INSIDE: 'true' },
    entryPoints: [path.join(repo, 'src', 'preload.ts')],
    outfile: path.join(dir, 'lambda.js'),
    metafile: true,
  });
  const chunks = await bundleChunks(dir);
  return { inputs: Object.keys(lambda.metafile.inputs).length, chunks };
}

/** One chunk per instrumentation package of the catalog, under <dir>/instrumentations/. */
async function bundleChunks(dir) {
  const { INSTRUMENTATION_CATALOG } = (await import(pathToFileURL(path.join(repo, 'dist', 'loading', 'instrumentation-catalog.js')).href)).default;
  const { SHARED_MODULES_KEY, chunkName } = (await import(pathToFileURL(path.join(repo, 'dist', 'instrumentations', 'package-loader.js')).href)).default;
  const shared = ['@opentelemetry/api', '@opentelemetry/instrumentation', '@opentelemetry/core'];
  const banner =
    `var require = ((own) => { const shared = globalThis[Symbol.for(${JSON.stringify(SHARED_MODULES_KEY.description)})] || {}; ` +
    'return Object.assign((id) => (Object.prototype.hasOwnProperty.call(shared, id) ? shared[id] : own(id)), own); })(require);';
  const packages = [
    ...new Set(
      Object.values(INSTRUMENTATION_CATALOG)
        .map((entry) => entry.package)
        .filter(Boolean),
    ),
  ];
  const requireFromRepo = createRequire(path.join(repo, 'package.json'));
  await Promise.all(
    packages.map((pkg) =>
      buildChunk({
        ...common,
        define: {},
        entryPoints: [requireFromRepo.resolve(pkg)],
        outfile: path.join(dir, 'instrumentations', `${chunkName(pkg)}.js`),
        external: [...shared, 'import-in-the-middle'],
        banner: { js: banner },
        plugins: [builtinNamespacesAsRequire],
      }),
    ),
  );
  return packages.length;
}

/** The Lambda layer's --require target (src/layer-register.ts), which reads lambda.js through its code cache. */
export async function bundleLayerRegister(dir) {
  await build({ ...common, entryPoints: [path.join(repo, 'src', 'layer-register.ts')], outfile: path.join(dir, 'register.js') });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(repo, 'dist'));
  const { inputs, chunks } = await bundlePreload(dir);
  // stderr: `npm pack --json` runs this through prepack and reads stdout.
  console.error(`bundled the preload into ${path.relative(repo, dir) || '.'}: ${inputs} source files, ${chunks} instrumentation chunks`);
}
