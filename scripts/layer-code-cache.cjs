// Run by each Node line's binary at layer build time (scripts/build-layer.mjs): compiles start.js
// as require() would, runs its top level (nothing starts: start() is only defined there), and
// writes V8's code cache beside it as start.js.v8-<V8 version>.cache (src/loading/stage-two.ts).
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const Module = require('node:module');

const file = path.resolve(process.argv[2]);
const script = new vm.Script(Module.wrap(fs.readFileSync(file, 'utf8')), { filename: file });
const mod = { exports: {} };
script.runInThisContext().call(mod.exports, mod.exports, Module.createRequire(file), mod, file, path.dirname(file));
const out = `${file}.v8-${process.versions.v8}.cache`;
fs.writeFileSync(out, script.createCachedData());
console.log(`${path.basename(out)} (${process.version})`);
