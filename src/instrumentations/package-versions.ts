/**
 * The instrumentation package reads a package's package.json for its version
 * every time it hands a file of the package to an instrumentation
 * (`_extractPackageVersion`, an internal of the pinned version that
 * bundled-patch.ts relies on too): eleven times for @smithy/core while an AWS
 * SDK v3 client loads, ~0.8 ms of a Lambda cold start on Node 22. A package
 * directory's version is read once here; a package replaced on disk while the
 * process runs keeps the version it was loaded with, as its code does.
 */

interface VersionReader {
  _extractPackageVersion?(baseDir: string): string | undefined;
}

const MEMOIZED = Symbol.for('otel-xray-datadog package versions');

/** Makes `base` (the instrumentation package's InstrumentationBase) read each package directory's version once; idempotent. */
export function readPackageVersionsOnce(base: { prototype: object }): void {
  const prototype = base.prototype as VersionReader & { [MEMOIZED]?: true };
  const read = prototype._extractPackageVersion;
  if (typeof read !== 'function' || prototype[MEMOIZED]) return;
  const versions = new Map<string, string | undefined>();
  prototype._extractPackageVersion = function (this: unknown, baseDir: string): string | undefined {
    if (versions.has(baseDir)) return versions.get(baseDir);
    const version = read.call(this, baseDir);
    versions.set(baseDir, version);
    return version;
  };
  prototype[MEMOIZED] = true;
}
