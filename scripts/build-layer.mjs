// npm run build:layer -> build/otel-xray-datadog-layer.zip, laid out as Lambda extracts layers into /opt:
//   /opt/otel-xray-datadog-handler                  exec wrapper (AWS_LAMBDA_EXEC_WRAPPER)
//   /opt/otel-xray-datadog/register.js              the preload, one esbuild bundle (fast cold start)
//   /opt/otel-xray-datadog/instrumentations/<name>.js  one bundled chunk per instrumentation package,
//                                                   loaded only when the function loads its library
//   /opt/otel-xray-datadog/node_modules/import-in-the-middle (+ deps)
// import-in-the-middle stays a real package: its loader hook runs in a separate
// thread and must share one copy with the instrumentation code in the bundle.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'build', 'layer');
const pkgDir = path.join(out, 'otel-xray-datadog');
const zipPath = path.join(repo, 'build', 'otel-xray-datadog-layer.zip');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(pkgDir, { recursive: true });

const result = await build({
  entryPoints: [path.join(repo, 'src', 'register.ts')],
  outfile: path.join(pkgDir, 'register.js'),
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  minify: true,
  legalComments: 'linked',
  // @aws-sdk/client-lambda (OTEL_XRAY_DD_LAMBDA_FETCH_TAGS) is the one the Lambda runtime provides.
  external: ['import-in-the-middle', '@aws-sdk/client-lambda'],
  // The OpenTelemetry packages ship ES module builds marked side-effect free:
  // bundling those lets esbuild drop what we never call (most of semantic
  // conventions, the metrics and logs halves of the OTLP transformer).
  mainFields: ['module', 'main'],
  alias: { debug: path.join(repo, 'layer', 'debug-off.js') },
  define: { OTEL_XRAY_DD_LAYER_CHUNKS: 'true' },
  metafile: true,
  logLevel: 'warning',
});

// The instrumentation chunks. They take @opentelemetry/api and
// @opentelemetry/instrumentation from the preload bundle (one copy of each):
// the banner puts the preload's modules in front of the chunk's require.
const { INSTRUMENTATION_TABLE } = (await import(path.join(repo, 'dist', 'instrumentation-table.js'))).default;
const { SHARED_MODULES_KEY, chunkName } = (await import(path.join(repo, 'dist', 'instrumentation-package.js'))).default;
const shared = ['@opentelemetry/api', '@opentelemetry/instrumentation'];
const chunkBanner =
  `var require = ((own) => { const shared = globalThis[Symbol.for(${JSON.stringify(SHARED_MODULES_KEY.description)})] || {}; ` +
  'return Object.assign((id) => (Object.prototype.hasOwnProperty.call(shared, id) ? shared[id] : own(id)), own); })(require);';
const packages = [...new Set(Object.values(INSTRUMENTATION_TABLE).map((entry) => entry.package).filter(Boolean))];
await Promise.all(
  packages.map((pkg) =>
    build({
      entryPoints: [createRequire(path.join(repo, 'package.json')).resolve(pkg)],
      outfile: path.join(pkgDir, 'instrumentations', `${chunkName(pkg)}.js`),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      minify: true,
      legalComments: 'linked',
      external: [...shared, 'import-in-the-middle'],
      mainFields: ['module', 'main'],
      alias: { debug: path.join(repo, 'layer', 'debug-off.js') },
      banner: { js: chunkBanner },
      logLevel: 'warning',
    }),
  ),
);
fs.copyFileSync(path.join(repo, 'layer', 'otel-xray-datadog-handler'), path.join(out, 'otel-xray-datadog-handler'));
fs.chmodSync(path.join(out, 'otel-xray-datadog-handler'), 0o755);

// import-in-the-middle and its production dependencies, as installed.
const copied = new Set();
const copyPackage = (name) => {
  if (copied.has(name)) return;
  copied.add(name);
  const from = path.join(repo, 'node_modules', name);
  const manifest = JSON.parse(fs.readFileSync(path.join(from, 'package.json'), 'utf8'));
  fs.cpSync(from, path.join(pkgDir, 'node_modules', name), { recursive: true });
  for (const dep of Object.keys(manifest.dependencies ?? {})) copyPackage(dep);
};
copyPackage('import-in-the-middle');

fs.rmSync(zipPath, { force: true });
execFileSync('zip', ['-qr', '-X', zipPath, '.'], { cwd: out });
const bundleBytes = fs.statSync(path.join(pkgDir, 'register.js')).size;
console.log(`layer: ${path.relative(repo, zipPath)} (${(fs.statSync(zipPath).size / 1024).toFixed(0)} KiB zipped; preload bundle ${(bundleBytes / 1024).toFixed(0)} KiB; ${Object.keys(result.metafile.inputs).length} source files bundled; ${packages.length} instrumentation chunks; packages beside it: ${[...copied].join(', ')})`);
