// The instrumentation table in-process: what docs/instrumentations.md promises, what package.json ships,
// and how module requests map to the table's triggers.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { INSTRUMENTATION_NAMES, INSTRUMENTATION_CATALOG, instrumentationNamed } from '../../../dist/loading/instrumentation-catalog.js';
import { packageOf, packageOfPath, packageOfUrl } from '../../../dist/loading/package-names.js';
import { repoRoot } from '../../../harness/processes.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
const instrumentationsDoc = fs.readFileSync(path.join(repoRoot, 'docs', 'instrumentations.md'), 'utf8');
const requireFromRepo = createRequire(path.join(repoRoot, 'package.json'));

test('every shipped instrumentation is a pinned dependency sharing the one @opentelemetry/instrumentation', () => {
  const shared = requireFromRepo.resolve('@opentelemetry/instrumentation');
  for (const [name, entry] of Object.entries(INSTRUMENTATION_CATALOG)) {
    if (!entry.package) continue;
    assert.match(manifest.dependencies[entry.package] ?? '', /^\d+\.\d+\.\d+$/, `${name}: ${entry.package} pinned in dependencies`);
    const own = createRequire(requireFromRepo.resolve(entry.package));
    assert.equal(own.resolve('@opentelemetry/instrumentation'), shared, `${entry.package} resolves the shared @opentelemetry/instrumentation`);
  }
});

test('the What is traced table (docs/instrumentations.md) lists every instrumentation with its triggers, versions and package', () => {
  for (const [name, entry] of Object.entries(INSTRUMENTATION_CATALOG)) {
    const row = instrumentationsDoc.split('\n').find((line) => line.startsWith(`| \`${name}\` |`));
    assert.ok(row, `docs/instrumentations.md row for ${name}`);
    assert.ok(row.includes(entry.supports), `${name}: supported versions "${entry.supports}" in:\n${row}`);
    for (const trigger of entry.triggers) assert.ok(row.includes(`\`${trigger}\``), `${name}: trigger ${trigger}`);
    if (entry.package) {
      const version = requireFromRepo(`${entry.package}/package.json`).version;
      assert.ok(row.includes(`\`${entry.package}\` ${version}`), `${name}: ${entry.package} ${version}`);
    }
  }
});

test('instrumentation names: short names and package names, nothing else', () => {
  assert.equal(instrumentationNamed('express'), 'express');
  assert.equal(instrumentationNamed('@opentelemetry/instrumentation-pg'), 'pg');
  assert.equal(instrumentationNamed('@opentelemetry/instrumentation-nestjs-core'), 'nestjs-core');
  for (const bad of ['', 'Express', 'instrumentation-express', '@opentelemetry/instrumentation-', 'b3']) assert.equal(instrumentationNamed(bad), undefined, bad);
  assert.equal(new Set(INSTRUMENTATION_NAMES).size, INSTRUMENTATION_NAMES.length);
});

test('module requests map to the package that triggers an instrumentation', () => {
  const cases = [
    ['express', 'express'],
    ['pg/lib/client', 'pg'],
    ['node:http', 'http'],
    ['@redis/client', '@redis/client'],
    ['@smithy/smithy-client/dist-cjs/index.js', '@smithy/smithy-client'],
    ['@scoped', '@scoped'],
    ['./local', undefined],
    ['../up', undefined],
    ['/abs/path.js', undefined],
    ['', undefined],
  ];
  for (const [request, expected] of cases) assert.equal(packageOf(request), expected, request);
  assert.equal(packageOfPath('/app/node_modules/mysql2/promise.js'), 'mysql2');
  assert.equal(packageOfPath('/app/node_modules/a/node_modules/@nestjs/core/index.js'), '@nestjs/core', 'the innermost package');
  assert.equal(packageOfPath('/app/src/index.js'), undefined);
  assert.equal(packageOfUrl('file:///app/node_modules/pg/lib/index.js?iitm=true'), 'pg');
  assert.equal(packageOfUrl('node:https'), 'https');
});
