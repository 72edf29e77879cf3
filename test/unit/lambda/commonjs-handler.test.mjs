// node-matrix: 22 24
// The CommonJS handler's export, wrapped as Node loads the file (src/lambda/commonjs-handler.ts):
// in place where the export can be replaced, else a copy of the exports object, as esbuild's
// CommonJS output of `export const handler` (CDK NodejsFunction, SAM) needs; seen by require()
// (nodejs20.x/22.x) and by import() (nodejs24.x) alike.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildSync } from 'esbuild';

const require = createRequire(import.meta.url);
const { withWrappedExport, wrapCommonJsHandler } = require('../../../dist/lambda/commonjs-handler.js');

const marked = (original) => {
  const wrapped = async (...args) => ({ wrapped: await original(...args) });
  return wrapped;
};

/** A handler module as CDK's NodejsFunction ships one: TypeScript-style ES exports, bundled by esbuild to CommonJS. */
function esbuildHandler(dir, name, extension = '.js') {
  const source = path.join(dir, `${name}.src.mjs`);
  fs.writeFileSync(source, "export const VERSION = 'v7';\nexport const handler = async (event) => ({ echo: event.n });\nexport function helper() { return VERSION; }\n");
  const file = path.join(dir, `${name}${extension}`);
  buildSync({ entryPoints: [source], bundle: true, platform: 'node', format: 'cjs', outfile: file, logLevel: 'silent' });
  return file;
}

test('a plain exports object: the handler is replaced in place', async () => {
  const exports = { handler: async (event) => event.n, other: 1 };
  const result = withWrappedExport(exports, 'handler', marked);
  assert.equal(result, exports);
  assert.deepEqual(await exports.handler({ n: 3 }), { wrapped: 3 });
  assert.deepEqual(Object.keys(exports), ['handler', 'other']);
});

test("esbuild's exports (getters that cannot be redefined): a copy with the handler wrapped and every other export live", async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cjs-handler-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const exports = require(esbuildHandler(dir, 'bundle'));
  assert.throws(() => Object.defineProperty(exports, 'handler', { value: 1 }), TypeError, 'the shape this case is about');
  const result = withWrappedExport(exports, 'handler', marked);
  assert.notEqual(result, exports);
  assert.deepEqual(await result.handler({ n: 5 }), { wrapped: { echo: 5 } });
  assert.equal(result.VERSION, 'v7');
  assert.equal(result.helper(), 'v7');
  assert.equal(result.__esModule, true);
  assert.deepEqual(Object.keys(result).sort(), ['VERSION', 'handler', 'helper']);
  assert.deepEqual(await exports.handler({ n: 5 }), { echo: 5 }, 'the original object is left as it was');
});

test('a frozen exports object: a copy; a handler that is not a function: left alone for the runtime to report', async () => {
  const frozen = Object.freeze({ handler: async () => 'x' });
  const copy = withWrappedExport(frozen, 'handler', marked);
  assert.notEqual(copy, frozen);
  assert.deepEqual(await copy.handler(), { wrapped: 'x' });
  const noHandler = { handler: 'not a function' };
  assert.equal(withWrappedExport(noHandler, 'handler', marked), noHandler);
  assert.equal(noHandler.handler, 'not a function');
  assert.equal(withWrappedExport(undefined, 'handler', marked), undefined);
});

test('the file as the runtimes load it: require() (nodejs20.x/22.x) and import() (nodejs24.x) both get the wrapped handler, .js and .cjs', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'cjs-handler-'));
  t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
  const required = esbuildHandler(dir, 'required');
  wrapCommonJsHandler(required, 'handler', marked);
  assert.deepEqual(await require(required).handler({ n: 1 }), { wrapped: { echo: 1 } });
  assert.equal(require(required).VERSION, 'v7', 'the cached module is the copy');

  const imported = esbuildHandler(dir, 'imported');
  wrapCommonJsHandler(imported, 'handler', marked);
  const namespace = await import(pathToFileURL(imported).href);
  assert.deepEqual(await namespace.handler({ n: 2 }), { wrapped: { echo: 2 } });
  assert.equal(namespace.VERSION, 'v7');

  // index.cjs: Node runs it with the .js loader.
  const cjs = esbuildHandler(dir, 'index', '.cjs');
  wrapCommonJsHandler(cjs, 'handler', marked);
  assert.deepEqual(await (await import(pathToFileURL(cjs).href)).handler({ n: 3 }), { wrapped: { echo: 3 } });
});
