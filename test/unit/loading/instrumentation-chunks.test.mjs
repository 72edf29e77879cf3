// The instrumentation chunks npm run build writes beside start.js (scripts/bundle.mjs): what a function pays to
// load one is what the chunk holds, so it holds only its package and what start.js cannot lend it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { repoRoot } from '../../../harness/processes.mjs';

const dist = path.join(repoRoot, 'dist');
const chunkDir = path.join(dist, 'instrumentations');
const chunks = fs
  .readdirSync(chunkDir)
  .filter((file) => /^instrumentation-.+\.js$/.test(file))
  .map((file) => ({ file, source: fs.readFileSync(path.join(chunkDir, file), 'utf8') }));

test('every instrumentation package of the catalog is a chunk', () => {
  assert.equal(chunks.length, 20);
});

test('no chunk carries the semantic-conventions names of other runtimes, which no Node.js instrumentation reads', () => {
  // The stable semantic conventions hold ASP.NET Core, .NET, JVM, Kestrel and SignalR names; a chunk built
  // from the whole package (~700 names) evaluated all of them on load (~2 ms of an AWS SDK handler's cold start).
  const foreign = /\b(ASPNETCORE|DOTNET|JVM|KESTREL|SIGNALR)_[A-Z_]+/;
  const carrying = chunks.filter(({ source }) => foreign.test(source)).map(({ file }) => file);
  assert.deepEqual(carrying, []);
});

test('the semantic-conventions names a chunk reads are still in it', () => {
  const http = chunks.find(({ file }) => file === 'instrumentation-http.js').source;
  for (const [name, value] of [
    ['ATTR_HTTP_REQUEST_METHOD', 'http.request.method'],
    ['ATTR_HTTP_RESPONSE_STATUS_CODE', 'http.response.status_code'],
    ['ATTR_URL_FULL', 'url.full'],
  ]) {
    assert.match(http, new RegExp(`\\.${name}="${value.replace(/\./g, '\\.')}"`), name);
  }
});

test('@opentelemetry/core is one copy, in start.js, which the chunks take it from', () => {
  // A string of core's module scope: present once in whichever file holds a copy of core.
  const marker = 'OpenTelemetry SDK Context Key SUPPRESS_TRACING';
  const count = (source) => source.split(marker).length - 1;
  assert.equal(count(fs.readFileSync(path.join(dist, 'start.js'), 'utf8')), 1);
  assert.deepEqual(
    chunks.filter(({ source }) => count(source) > 0).map(({ file }) => file),
    [],
  );
});
