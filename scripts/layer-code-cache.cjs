// Run by each Node line's binary at layer build time (scripts/build-layer.mjs): compiles the
// layer's bundle (lambda.js: the preload with stage 2 inside) as require() would and writes V8's
// code cache beside it as <file>.v8-<V8 version>.cache (src/loading/stage-two.ts), then the same
// for each instrumentation chunk. Before writing them, the script runs what a cold start runs: the
// preload's start in Lambda mode and one invocation of a trivial handler, flushed to a receiver in
// this process. V8 compiles most functions only when first called; the cache then holds those of
// the init and the first invocation too, which a new sandbox would otherwise compile itself.
// With --heap-variant (scripts/build-layer.mjs, once per common memory size, under the bootstrap's
// heap sizes for it): the caches of the bundle and the AWS SDK chunk (the instrumentation most
// functions load), and only where V8 hashes the heap sizes into its flags
// (src/loading/stage-two.ts heapFlagsKey); the files are named by them.
'use strict';
const fs = require('node:fs');
const http = require('node:http');
const os = require('node:os');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

/** Compiles and runs `file` as require() would (cached as a module when `cache`); returns the compiled script and the module. */
function runAsModule(file, { cache }) {
  const compiled = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file });
  const loaded = new Module(file, module);
  loaded.filename = file;
  loaded.paths = Module._nodeModulePaths(path.dirname(file));
  if (cache) Module._cache[file] = loaded;
  compiled.runInThisContext().call(loaded.exports, loaded.exports, Module.createRequire(file), loaded, file, path.dirname(file));
  loaded.loaded = true;
  return { compiled, loaded };
}

const file = path.resolve(process.argv[2]);
// Under a memory size's heap flags only the chunk most functions load: each cache is ~80 KB per
// memory size and Node line (measured: nodejs22.x AWS SDK handler, see bench/README.md).
const HEAP_VARIANT_CHUNKS = ['instrumentation-aws-sdk.js'];
const heapVariant = process.argv.includes('--heap-variant');
// The one naming of cache files, from the built stage-two loader that reads them.
const { cacheFileFor, heapFlagsKey } = require(path.join(__dirname, '..', 'dist', 'loading', 'stage-two.js'));
if (heapVariant && heapFlagsKey() === '') process.exit(0);
const { compiled: script, loaded: bundle } = runAsModule(file, { cache: true });

async function coldStart() {
  const receiver = http.createServer((req, res) => req.resume().on('end', () => res.end('{}')));
  await new Promise((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const taskRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'code-cache-fn-'));
  fs.writeFileSync(path.join(taskRoot, 'index.js'), 'exports.handler = async () => ({ statusCode: 200 });\n');
  try {
    Object.assign(process.env, {
      AWS_LAMBDA_FUNCTION_NAME: 'code-cache',
      AWS_REGION: 'us-east-1',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '128',
      LAMBDA_TASK_ROOT: taskRoot,
      _HANDLER: 'index.handler',
      _X_AMZN_TRACE_ID: 'Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1',
      OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${receiver.address().port}`,
    });
    bundle.exports.startFromPreload('lambda');
    const { handler } = require(path.join(taskRoot, 'index.js'));
    const deadline = Date.now() + 3000;
    await handler(
      { requestContext: { http: { method: 'GET', path: '/' } }, headers: {}, rawPath: '/' },
      {
        awsRequestId: 'code-cache',
        functionName: 'code-cache',
        invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:code-cache',
        getRemainingTimeInMillis: () => deadline - Date.now(),
      },
    );
  } finally {
    receiver.closeAllConnections();
    receiver.close();
    fs.rmSync(taskRoot, { recursive: true, force: true });
  }
}

/**
 * Each instrumentation chunk beside the bundle, evaluated as the chunk loader would (its shared
 * modules taken from the bundle's stage 2, which the rehearsal's require of http has set up), with its code
 * cache written after the evaluation: the functions its load runs are in it.
 */
function chunkCaches(only) {
  const dir = path.join(path.dirname(file), 'instrumentations');
  if (!fs.existsSync(dir)) return [];
  require('node:http'); // builds the http instrumentation: the chunks' shared modules are in place from here on
  const written = [];
  for (const name of fs.readdirSync(dir).filter((f) => f.endsWith('.js') && (only === undefined || only.includes(f)))) {
    const chunk = path.join(dir, name);
    try {
      const { compiled } = runAsModule(chunk, { cache: false });
      fs.writeFileSync(cacheFileFor(chunk), compiled.createCachedData());
      written.push(name);
    } catch (error) {
      console.error(`layer-code-cache: no code cache for ${name} (${error?.message ?? error})`);
    }
  }
  return written;
}

// A warm-up that fails still leaves a cache of what ran (the top level at least); the build says why.
coldStart()
  .catch((error) => console.error(`layer-code-cache: the cold start run failed, the cache holds less (${error?.stack ?? error})`))
  .finally(() => {
    const out = cacheFileFor(file);
    fs.writeFileSync(out, script.createCachedData());
    const chunks = chunkCaches(heapVariant ? HEAP_VARIANT_CHUNKS : undefined);
    console.log(`${path.basename(out)} (${process.version}; and ${chunks.length} instrumentation chunks')`);
    process.exit(0);
  });
