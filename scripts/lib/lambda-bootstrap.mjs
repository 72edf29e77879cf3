// How the managed nodejs runtimes' bootstrap (/var/runtime/bootstrap) starts Node before the
// runtime client's entry script: --expose-gc and --max-http-header-size 81920 always, and heap
// sizes from the function's memory size (a tenth of it for the young generation, half of that per
// semi-space, the rest for the old generation; our sandboxes leave them out where NODE_OPTIONS
// sets its own). The layer's code caches are written under the V8 flags among these
// (scripts/build-layer.mjs); the sandboxes of the tests and benchmarks start Node the same way
// (harness/lambda-sandbox.mjs).

/** The V8 flags among them that every sandbox gets, whatever its memory size. */
export const BOOTSTRAP_V8_FLAGS = ['--expose-gc'];

/** The Node arguments the bootstrap passes for a function of `memorySize` MB. */
export function bootstrapNodeArgs(memorySize, nodeOptions = '') {
  const args = [...BOOTSTRAP_V8_FLAGS, '--max-http-header-size', '81920'];
  if (!/max[-_](semi|old)[-_]space[-_]size/.test(nodeOptions)) args.push(...bootstrapHeapFlags(memorySize));
  return args;
}

/** The heap-size flags alone. */
export function bootstrapHeapFlags(memorySize) {
  const newSpace = Math.floor(memorySize / 10);
  return [`--max-semi-space-size=${Math.floor(newSpace / 2)}`, `--max-old-space-size=${memorySize - newSpace}`];
}
