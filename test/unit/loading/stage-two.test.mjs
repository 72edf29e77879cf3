// Loading stage 2 and an instrumentation chunk with the V8 code cache the layer ships
// (src/loading/stage-two.ts): the same module as require() gives, once; a cache V8 rejects or a missing one falls back to compiling.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStageTwo, loadWithCodeCache, cacheFileFor, heapFlagsKey } from '../../../dist/loading/stage-two.js';
import { repoRoot } from '../../../harness/processes.mjs';

const require = createRequire(import.meta.url);

function stage(source) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-two-'));
  fs.writeFileSync(path.join(dir, 'start.js'), source);
  return dir;
}
const SOURCE =
  "globalThis.__stageTwoRuns = (globalThis.__stageTwoRuns ?? 0) + 1; exports.startWith = () => 'started'; exports.here = __dirname; exports.req = typeof require('node:path').join;";

test('with the shipped cache: the layer bundle runs once, as require() would have it (cache, __dirname, require); an instrumentation chunk too', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'stage-two-'));
  // The layer's bundle as the cache script drives it: the preload's startFromPreload, stage 2 inside.
  const bundle = path.join(dir, 'lambda.js');
  fs.writeFileSync(bundle, `${SOURCE} exports.startFromPreload = (mode) => exports.startWith(undefined, mode);`);
  const chunk = path.join(dir, 'instrumentations', 'instrumentation-fake.js');
  fs.mkdirSync(path.dirname(chunk));
  fs.writeFileSync(chunk, 'globalThis.__chunkRuns = (globalThis.__chunkRuns ?? 0) + 1; exports.Instrumentation = class {};');
  try {
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'scripts', 'layer-code-cache.cjs'), bundle], { encoding: 'utf8' });
    assert.match(out, /^lambda\.js\.v8-.+\.cache \(v\d+[^;]*; and 1 instrumentation chunks'\)/);
    assert.equal(fs.existsSync(cacheFileFor(bundle)), true);
    assert.equal(fs.existsSync(cacheFileFor(chunk)), true);
    globalThis.__chunkRuns = 0;
    const loaded = loadWithCodeCache(chunk);
    assert.equal(typeof loaded.Instrumentation, 'function');
    assert.equal(require(chunk), loaded, 'require() finds the same module');
    assert.equal(globalThis.__chunkRuns, 1);
    globalThis.__stageTwoRuns = 0;
    const first = loadWithCodeCache(bundle);
    assert.deepEqual([first.startFromPreload('lambda'), first.here, first.req], ['started', dir, 'function']);
    assert.equal(loadWithCodeCache(bundle), first, 'one module');
    assert.equal(require(bundle), first, 'require() finds the same module');
    assert.equal(globalThis.__stageTwoRuns, 1);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a cache V8 rejects (another source), or none: compiled as usual', () => {
  for (const cache of ['garbage', undefined]) {
    const dir = stage(SOURCE);
    try {
      if (cache !== undefined) fs.writeFileSync(cacheFileFor(path.join(dir, 'start.js')), cache);
      globalThis.__stageTwoRuns = 0;
      assert.equal(loadStageTwo(dir).startWith(), 'started');
      assert.equal(globalThis.__stageTwoRuns, 1);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
});

test('cache file names: before V8 13 they carry the heap sizes on the command line (the last of each, either spelling); from V8 13 on, and without heap sizes, the plain name', () => {
  const bootstrap128 = ['--expose-gc', '--max-http-header-size', '81920', '--max-semi-space-size=6', '--max-old-space-size=116'];
  assert.equal(heapFlagsKey(bootstrap128, '12.4.254.21-node.57'), 'semi6.old116');
  assert.equal(heapFlagsKey(bootstrap128, '11.3.244.8-node.38'), 'semi6.old116');
  assert.equal(heapFlagsKey(bootstrap128, '13.6.233.17-node.53'), '');
  assert.equal(heapFlagsKey(['--expose-gc'], '12.4.254.21-node.57'), '');
  assert.equal(heapFlagsKey(['--max_old_space_size=900', '--max-old-space-size=922'], '12.4.254.21-node.57'), 'semi-.old922');
  assert.equal(heapFlagsKey(['--max-semi-space-size=abc'], '12.4.254.21-node.57'), '');
  assert.equal(cacheFileFor('/opt/x/start.js', '12.4.254.21-node.57', 'semi6.old116'), '/opt/x/start.js.v8-12.4.254.21-node.57.semi6.old116.cache');
  assert.equal(cacheFileFor('/opt/x/start.js', '13.6.233.17-node.53', ''), '/opt/x/start.js.v8-13.6.233.17-node.53.cache');
});
