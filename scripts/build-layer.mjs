// npm run build:layer -> build/otel-xray-datadog-layer.zip, laid out as Lambda extracts layers into /opt:
//   /opt/otel-xray-datadog-handler                  exec wrapper (AWS_LAMBDA_EXEC_WRAPPER)
//   /opt/otel-xray-datadog/register.js              the preload (--require target), loading lambda.js through its code cache
//   /opt/otel-xray-datadog/lambda.js, instrumentations/<name>.js   the bundles of scripts/bundle.mjs (lambda.js: the preload with stage 2 inside)
//   /opt/otel-xray-datadog/lambda.js.v8-<V8 version>.cache   V8 code caches of lambda.js and the chunks, per Node line
//   /opt/otel-xray-datadog/node_modules/import-in-the-middle (+ deps)
// import-in-the-middle stays a real package: its loader hook runs in a separate
// thread and must share one copy with the instrumentation code in the bundle.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleLambda, bundleLayerRegister } from './bundle.mjs';
import { BOOTSTRAP_V8_FLAGS, bootstrapHeapFlags } from './lib/lambda-bootstrap.mjs';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const out = path.join(repo, 'build', 'layer');
const pkgDir = path.join(out, 'otel-xray-datadog');
const zipPath = path.join(repo, 'build', 'otel-xray-datadog-layer.zip');

fs.rmSync(out, { recursive: true, force: true });
fs.mkdirSync(pkgDir, { recursive: true });

const { inputs, chunks } = await bundleLambda(pkgDir);
// The exec wrapper's --require target: the npm package's register, reading lambda.js through its code cache.
await bundleLayerRegister(pkgDir);
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

// V8 code caches of lambda.js and the chunks for the Node lines Lambda runs (src/loading/stage-two.ts);
// a line whose Node binary is not installed here (scripts/install-node.sh) simply has none.
// V8 accepts a code cache only from a process whose V8 flags hash the same, so each is written
// under the flags the managed runtimes' bootstrap passes: --expose-gc always (caches written
// without it were rejected in every sandbox, which compiled the SDK bundle, ~6 ms, and each chunk it
// loaded from scratch), and, for V8 before 13 (Node 20, 22), which hashes the heap sizes too,
// lambda.js's once more per common memory size under that size's heap flags.
const COMMON_MEMORY_SIZES_MB = [128, 256, 512, 1024, 1536, 2048, 3008];
const cacheScript = path.join(repo, 'scripts', 'layer-code-cache.cjs');
const caches = [];
for (const major of [20, 22, 24]) {
  let node;
  try {
    node =
      major === Number(process.versions.node.split('.')[0])
        ? process.execPath
        : execFileSync('bash', [path.join(repo, 'scripts', 'install-node.sh'), String(major)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
            .trim()
            .split('\n')
            .at(-1);
    const run = (flags, ...args) =>
      execFileSync(node, [...flags, cacheScript, path.join(pkgDir, 'lambda.js'), ...args], { encoding: 'utf8', env: { PATH: process.env.PATH } }).trim();
    caches.push(run(BOOTSTRAP_V8_FLAGS));
    const perSize = COMMON_MEMORY_SIZES_MB.map((mb) => run([...BOOTSTRAP_V8_FLAGS, ...bootstrapHeapFlags(mb)], '--heap-variant')).filter(Boolean);
    if (perSize.length > 0) caches.push(`lambda.js for ${perSize.length} memory sizes (${COMMON_MEMORY_SIZES_MB.join(', ')} MB)`);
  } catch {
    // no code cache for this line
  }
}

fs.rmSync(zipPath, { force: true });
execFileSync('zip', ['-qr', '-X', zipPath, '.'], { cwd: out });
const kib = (f) => (fs.statSync(path.join(pkgDir, f)).size / 1024).toFixed(0);
console.log(
  `layer: ${path.relative(repo, zipPath)} (${(fs.statSync(zipPath).size / 1024).toFixed(0)} KiB zipped; lambda.js ${kib('lambda.js')} KiB from ${inputs} source files; ${chunks} instrumentation chunks; packages beside it: ${[...copied].join(', ')}; code caches: ${caches.join(', ') || 'none'})`,
);
