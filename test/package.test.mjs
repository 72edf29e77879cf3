// The published artifact: `npm pack`, installed into an unrelated app, used with --require and --import.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { cleanEnv, repoRoot, runNode } from '../harness/processes.mjs';

let app;
let receiver;
const pkg = JSON.parse(fs.readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));

before(async () => {
  receiver = await startOtlpReceiver();
  app = fs.mkdtempSync(path.join(os.tmpdir(), 'unrelated-app-'));
  const tarball = execFileSync('npm', ['pack', '--silent', '--pack-destination', app], { cwd: repoRoot, encoding: 'utf8', env: cleanEnv() }).trim().split('\n').at(-1);
  fs.writeFileSync(path.join(app, 'package.json'), JSON.stringify({ name: 'unrelated-app', version: '1.0.0', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', path.join(app, tarball)], { cwd: app, stdio: 'ignore', env: cleanEnv() });
  const program = `const { trace } = require('@opentelemetry/api'); trace.getTracer('app').startSpan('packaged-work').end();`;
  fs.writeFileSync(path.join(app, 'app.cjs'), program);
  fs.writeFileSync(path.join(app, 'app.mjs'), `import { trace } from '@opentelemetry/api'; trace.getTracer('app').startSpan('packaged-work-esm').end();`);
});
after(async () => {
  await receiver.close();
  fs.rmSync(app, { recursive: true, force: true });
});

test('the tarball ships the build, not the sources or tests', () => {
  const files = execFileSync('npm', ['pack', '--dry-run', '--json'], { cwd: repoRoot, encoding: 'utf8', env: cleanEnv() });
  const paths = JSON.parse(files)[0].files.map((f) => f.path);
  for (const required of ['dist/register.js', 'dist/register.mjs', 'dist/index.js', 'dist/index.d.ts', 'README.md', 'package.json']) assert.ok(paths.includes(required), required);
  assert.ok(!paths.some((p) => p.startsWith('src/') || p.startsWith('test/')), 'no sources or tests');
});

for (const [flag, file, span] of [
  ['--require', 'app.cjs', 'packaged-work'],
  ['--import', 'app.mjs', 'packaged-work-esm'],
]) {
  test(`installed package works with ${flag} otel-xray-datadog/register; service defaults to the app's package name`, async () => {
    const r = await runNode([flag, 'otel-xray-datadog/register', file], { cwd: app, env: cleanEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url }) });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stderr, '');
    const [s] = (await receiver.waitFor((all) => all.some((x) => x.name === span))).filter((x) => x.name === span);
    assert.equal(s.resource['service.name'], 'unrelated-app');
    assert.equal(s.resource['telemetry.distro.version'], pkg.version, 'src/version.ts matches package.json');
    assert.match(s.traceId, /^[0-9a-f]{32}$/);
  });
}
