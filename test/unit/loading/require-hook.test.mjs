// The require hook the bundles use in place of require-in-the-middle (src/loading/require-hook.ts):
// every onrequire call and every module a require gets are the package's own, on one module tree
// holding the cases the package handles; only the resolutions it adds are gone.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { repoRoot } from '../../../harness/processes.mjs';
import { moduleDetails } from '../../../dist/loading/require-hook.js';

const runner = path.join(repoRoot, 'test', 'fixtures', 'require-hook', 'run.cjs');

function writeTree(files) {
  const tree = fs.mkdtempSync(path.join(os.tmpdir(), 'require-hook-'));
  for (const [file, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(tree, file)), { recursive: true });
    fs.writeFileSync(path.join(tree, file), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return tree;
}

const TREE = {
  'app/early.js': "exports.value = typeof require('early-pkg').patched;",
  'app/named.js': 'exports.named = true;',
  'app/other/again.js': "module.exports = require('plain');",
  'app/main.js': `
    exports.run = () => {
      const first = require('plain');
      return {
        plain: { first, same: require('plain') === first && require('./other/again.js') === first },
        scoped: require('@scope/pkg').patched ?? null,
        subpath: require('@scope/pkg/sub').patched ?? null,
        circular: require('circ').ab,
        noMain: require('nomain/other').other,
        deepFirst: require('deep/lib/x').patched ?? null,
        deepMain: require('deep').patched ?? null,
        json: require('jsonpkg/data.json').answer,
        early: require('early-pkg').patched ?? null,
        named: require('./named.js').named,
      };
    };
    exports.plainAgain = () => require('plain');
  `,
  'node_modules/plain/package.json': { name: 'plain', main: 'lib/index.js' },
  'node_modules/plain/lib/index.js': "exports.helper = require('./helper'); exports.extra = require('plain/lib/extra');",
  'node_modules/plain/lib/helper.js': 'module.exports = 1;',
  'node_modules/plain/lib/extra.js': 'module.exports = 2;',
  'node_modules/@scope/pkg/package.json': { name: '@scope/pkg', exports: { '.': './main.js', './sub': './sub/index.js' } },
  'node_modules/@scope/pkg/main.js': "exports.sub = require('@scope/pkg/sub');",
  'node_modules/@scope/pkg/sub/index.js': 'exports.sub = true;',
  'node_modules/circ/index.js': "exports.ab = require('./a').both();",
  'node_modules/circ/a.js': "exports.name = 'a'; const b = require('./b'); exports.both = () => exports.name + b.name + b.sawA;",
  'node_modules/circ/b.js': "const a = require('./a'); exports.name = 'b'; exports.sawA = String(a.name);",
  'node_modules/nomain/package.json': { name: 'nomain', main: 'missing.js' },
  'node_modules/nomain/other.js': 'exports.other = true;',
  'node_modules/deep/index.js': "exports.x = require('./lib/x');",
  'node_modules/deep/lib/x.js': 'exports.x = true;',
  'node_modules/jsonpkg/data.json': { answer: 42 },
  'node_modules/early-pkg/index.js': 'exports.early = true;',
};

function run(kind, tree) {
  return JSON.parse(execFileSync(process.execPath, [runner, kind, tree], { encoding: 'utf8', cwd: repoRoot }));
}

test('onrequire sees the same modules under the same names, and the application gets the same exports, as with require-in-the-middle', () => {
  const tree = writeTree(TREE);
  try {
    const theirs = run('package', tree);
    const ours = run('ours', tree);
    const { resolutions: _theirs, ...expected } = theirs;
    const { resolutions: _ours, ...actual } = ours;
    assert.deepEqual(actual, expected);
    // What that is, so the comparison cannot pass on two hooks that both see nothing.
    const sep = path.sep;
    const file = (name) => name.replaceAll('/', sep);
    const dir = (name) => `node_modules${sep}${file(name)}`;
    assert.deepEqual(actual.calls, [
      [file('plain/lib/helper.js'), dir('plain')],
      [file('plain/lib/extra.js'), dir('plain')],
      ['plain', dir('plain')],
      [file('@scope/pkg/sub/index.js'), dir('@scope/pkg')],
      ['@scope/pkg', dir('@scope/pkg')],
      [file('circ/b.js'), dir('circ')],
      [file('circ/a.js'), dir('circ')],
      ['circ', dir('circ')],
      [file('deep/lib/x.js'), dir('deep')],
      ['deep', dir('deep')],
      // Loaded before the hook: taken at its next require.
      ['early-pkg', dir('early-pkg')],
      ['fs', null],
      // Taken out of require.cache and loaded again.
      ['plain', dir('plain')],
    ]);
    assert.deepEqual(actual.got, {
      plain: { patched: 'plain', same: true },
      scoped: '@scope/pkg',
      // Loaded by the package's main first, so onrequire named it as a file of the package.
      subpath: null,
      circular: 'aba',
      noMain: true,
      deepFirst: `deep${sep}lib${sep}x.js`,
      deepMain: 'deep',
      json: 42,
      early: 'early-pkg',
      named: true,
    });
    assert.deepEqual(actual.whitelisted, [['named', 'app']]);
    assert.deepEqual(actual.builtins, { fs: 'fs', sameWithScheme: true, getBuiltinModule: true, notBuiltin: null });
    assert.deepEqual(actual.reloaded, { patched: 'plain', isNew: true });
    assert.deepEqual(actual.afterUnhook, { patched: null });
    assert.equal(actual.earlyBeforeHook, 'undefined');
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test('a require resolves once, as without a hook: the package resolved each one twice and each package main again per file', () => {
  // Mains first, as applications load packages: no resolution of a main is left to the hook.
  const tree = writeTree({
    ...TREE,
    'app/main.js': `exports.run = () => { require('plain'); require('plain'); require('./other/again.js'); require('@scope/pkg'); require('circ'); require('deep'); require('deep/lib/x'); return { plain: { first: require('plain') } }; };
      exports.plainAgain = () => require('plain');`,
  });
  try {
    const counts = Object.fromEntries(['none', 'package', 'ours'].map((kind) => [kind, run(kind, tree).resolutions]));
    assert.equal(counts.ours, counts.none);
    assert.ok(counts.package > counts.none, `require-in-the-middle resolved ${counts.package} times, no hook ${counts.none}`);
  } finally {
    fs.rmSync(tree, { recursive: true, force: true });
  }
});

test('moduleDetails reads a file path as module-details-from-path does', async () => {
  const { default: details } = await import('module-details-from-path');
  for (const file of [
    '/app/node_modules/pg/lib/client.js',
    '/app/node_modules/@aws-sdk/client-sqs/dist-cjs/index.js',
    '/app/node_modules/a/node_modules/b/index.js',
    '/app/node_modules/pkg',
    '/app/node_modules/',
    '/app/src/index.js',
  ]) {
    assert.deepEqual(moduleDetails(file), details(file), file);
  }
});
