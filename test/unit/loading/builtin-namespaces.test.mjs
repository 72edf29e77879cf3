// The OpenTelemetry packages' namespace imports of Node's built-ins (scripts/bundle.mjs): esbuild
// copies a whole built-in into getters at each `import * as x from 'fs'` (~470 getters at a Lambda
// cold start), so the bundle build gives those imports the built-in's own module object instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import { repoRoot } from '../../../harness/processes.mjs';
import { requireBuiltinNamespaces } from '../../../scripts/bundle.mjs';

test('a namespace import of a built-in becomes a require of it, with or without node: and either quote', () => {
  const source = [
    "import * as fs from 'fs';",
    'import * as path from "node:path";',
    "import { context } from '@opentelemetry/api';",
    'export const read = (f) => fs.readFileSync(path.join(f));',
  ].join('\n');
  assert.equal(
    requireBuiltinNamespaces(source),
    [
      "const fs = require('fs');",
      'const path = require("node:path");',
      "import { context } from '@opentelemetry/api';",
      'export const read = (f) => fs.readFileSync(path.join(f));',
    ].join('\n'),
  );
});

test('a namespace whose default or computed members are read, and a package, keep their import', () => {
  for (const source of [
    "import * as fs from 'fs';\nexport default fs.default;",
    "import * as os from 'os';\nexport const pick = (k) => os[k];",
    "import * as api from '@opentelemetry/api';\nexport const c = api.context;",
    "import * as nope from 'not-a-builtin';\nexport const x = nope.x;",
  ]) {
    assert.equal(requireBuiltinNamespaces(source), source);
  }
});

test('the built start.js and instrumentation chunks copy no built-in into a namespace object', () => {
  const dist = path.join(repoRoot, 'dist');
  const files = [
    'start.js',
    'preload.js',
    ...fs
      .readdirSync(path.join(dist, 'instrumentations'))
      .filter((f) => f.endsWith('.js'))
      .map((f) => path.join('instrumentations', f)),
  ];
  const copies = [];
  for (const file of files) {
    const source = fs.readFileSync(path.join(dist, file), 'utf8');
    // esbuild's __toESM, whatever the minifier named it: (mod, isNodeMode, target) => (target = mod != null ? ...
    const helper = /([\w$]+)=\(([\w$]+),([\w$]+),([\w$]+)\)=>\(\4=\2!=null\?/.exec(source)?.[1];
    if (helper === undefined) continue;
    const escaped = helper.replace(/\$/g, '\\$');
    for (const [, id] of source.matchAll(new RegExp(`(?<![\\w$])${escaped}\\(require\\("([^"]+)"\\)`, 'g'))) if (isBuiltin(id)) copies.push(`${file}: ${id}`);
  }
  assert.deepEqual(copies, []);
});
