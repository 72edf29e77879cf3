// The instrumentation package's version read, once per package directory (src/instrumentations/package-versions.ts).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createRequire } from 'node:module';
import { readPackageVersionsOnce } from '../../../dist/instrumentations/package-versions.js';

const require = createRequire(import.meta.url);

test("each package directory's version is read from its package.json once, by the instrumentation package's own reader", () => {
  // The package's own class (this process's copy of it).
  const { InstrumentationBase } = require('@opentelemetry/instrumentation');
  class Probe extends InstrumentationBase {
    constructor() {
      super('probe', '1.0.0', { enabled: false });
    }
    init() {
      return [];
    }
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'package-versions-'));
  const pkg = (name, version) => {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    fs.writeFileSync(path.join(dir, name, 'package.json'), JSON.stringify({ name, version }));
    return path.join(dir, name);
  };
  try {
    const a = pkg('a', '1.2.3');
    const b = pkg('b', '4.5.6');
    const probe = new Probe();
    // Without it, the file is read at each call.
    assert.equal(probe._extractPackageVersion(a), '1.2.3');
    pkg('a', '1.2.4');
    assert.equal(probe._extractPackageVersion(a), '1.2.4');

    readPackageVersionsOnce(InstrumentationBase);
    readPackageVersionsOnce(InstrumentationBase);
    assert.equal(probe._extractPackageVersion(a), '1.2.4');
    pkg('a', '9.9.9');
    assert.equal(probe._extractPackageVersion(a), '1.2.4');
    assert.equal(new Probe()._extractPackageVersion(a), '1.2.4');
    assert.equal(probe._extractPackageVersion(b), '4.5.6');
    // A directory without a package.json: no version, as the reader says, also the second time.
    assert.equal(probe._extractPackageVersion(path.join(dir, 'none')), undefined);
    assert.equal(probe._extractPackageVersion(path.join(dir, 'none')), undefined);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('a base without the reader is left as it is', () => {
  class Other {}
  readPackageVersionsOnce(Other);
  assert.deepEqual(Object.getOwnPropertyNames(Other.prototype), ['constructor']);
  assert.equal(Object.getOwnPropertySymbols(Other.prototype).length, 0);
});
