// The settings table (src/settings.ts) is the one declaration of every variable: the configuration
// table of docs/configuration.md must say what it says, and every declaration must be usable as declared.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { SETTINGS, OPTION_ONLY_SETTINGS, defaultOf, readSetting } from '../../../dist/config/settings.js';
import { renderSettingsBlock, settingsBlockOf, defaultCell, meaningCell, repoRoot, SETTINGS_DOC } from '../../../scripts/settings-table.mjs';

const doc = fs.readFileSync(path.join(repoRoot, SETTINGS_DOC), 'utf8');
const block = settingsBlockOf(doc);
/** Rows of the settings block in docs/configuration.md, by the variable (or option) in their first cell. */
const rowsByName = new Map(
  (block ?? '')
    .split('\n')
    .filter((line) => line.startsWith('| `') && !line.startsWith('| `start()`'))
    .map((line) => {
      const cells = line.slice(2, -2).split(' | ');
      return [cells[0].replaceAll('`', ''), cells];
    }),
);

test('docs/configuration.md has the generated settings block', () => {
  assert.ok(block, `${SETTINGS_DOC} keeps the settings table between its markers`);
});

test('every declared variable is documented in docs/configuration.md with its default, option and meaning', () => {
  for (const [name, declaration] of Object.entries(SETTINGS)) {
    const cells = rowsByName.get(name);
    assert.ok(cells, `${SETTINGS_DOC} row for ${name} (run: npm run build && node scripts/settings-table.mjs --write)`);
    assert.equal(cells[1], defaultCell(declaration), `${name}: default`);
    assert.equal(cells[2], declaration.option ? `\`${declaration.option.name}\`` : '', `${name}: start() option`);
    assert.equal(cells[3], meaningCell(declaration), `${name}: meaning`);
  }
  for (const [name, declaration] of Object.entries(OPTION_ONLY_SETTINGS)) {
    const cells = rowsByName.get(name);
    assert.ok(cells, `${SETTINGS_DOC} row for the start() option ${name}`);
    assert.deepEqual(cells.slice(1), [declaration.defaultNote, declaration.description], `${name}`);
  }
});

test('docs/configuration.md documents no variable or option that is not declared', () => {
  const declared = new Set([...Object.keys(SETTINGS), ...Object.keys(OPTION_ONLY_SETTINGS)]);
  const undocumented = [...rowsByName.keys()].filter((name) => !declared.has(name));
  assert.deepEqual(undocumented, [], 'rows without a declaration in src/settings.ts');
  // Same rows, same order, same text: the block is exactly what the script writes.
  assert.equal(block, renderSettingsBlock({ SETTINGS, OPTION_ONLY_SETTINGS }), 'run: node scripts/settings-table.mjs --write');
});

test('every declared default is a valid value of its own parser', () => {
  for (const [name, declaration] of Object.entries(SETTINGS)) {
    assert.equal(typeof declaration.description, 'string', name);
    assert.ok(declaration.description.length > 10, `${name}: a description`);
    assert.ok(declaration.default !== undefined || declaration.defaultNote, `${name}: a default or a note saying what applies`);
    assert.equal(typeof declaration.secret, 'boolean', `${name}: secret is declared`);
    if (declaration.default === undefined) continue;
    const parsed = declaration.parse(declaration.default);
    assert.ok(parsed.ok && parsed.partial === undefined, `${name}: default ${declaration.default} parses cleanly`);
    assert.notEqual(defaultOf(name), undefined, name);
  }
});

test('variable names follow the families we read; options are declared once', () => {
  const options = [];
  for (const [name, declaration] of Object.entries(SETTINGS)) {
    assert.match(name, /^(OTEL_|DD_|AWS_)[A-Z0-9_]+$/, name);
    if (declaration.readBy === 'sdk') assert.equal(declaration.option, undefined, `${name} is read by the SDK: no option of ours`);
    if (declaration.option) options.push(declaration.option.name);
  }
  options.push(...Object.keys(OPTION_ONLY_SETTINGS));
  assert.equal(new Set(options).size, options.length, 'an option sets one thing');
  assert.deepEqual(options.sort(), [
    'env',
    'exitHooks',
    'instrumentations',
    'lambdaFlushTimeoutMs',
    'lambdaParentPriority',
    'propagators',
    'resourceAttributes',
    'serviceName',
    'shutdownTimeoutMs',
    'tracesEndpoint',
    'version',
  ]);
});

test('readSetting: one variable through its declaration, for code that runs before the configuration', () => {
  assert.equal(readSetting('OTEL_SDK_DISABLED', {}), false);
  assert.equal(readSetting('OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'true' }), true);
  assert.equal(readSetting('OTEL_SDK_DISABLED', { OTEL_SDK_DISABLED: 'nope' }), false, 'unusable: the default');
  assert.equal(readSetting('OTEL_EXPORTER_OTLP_PROTOCOL', { OTEL_EXPORTER_OTLP_PROTOCOL: 'HTTP/JSON' }), 'http/json');
  assert.equal(readSetting('DD_SERVICE', {}), undefined, 'no static default');
});

test('the table is the only place a variable is declared: every OTEL_*/DD_* name in src/ is in it', () => {
  // Not variables: names that only look like one.
  const notVariables = {
    OTEL_XRAY_DD_LAYER_CHUNKS: 'a build-time constant the bundler defines (scripts/bundle.mjs)',
    OTEL_XRAY_DD_STAGE_TWO_INSIDE: 'a build-time constant the bundler defines (scripts/bundle.mjs)',
    DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT: "the Datadog Lambda Extension's variable, named in the advice for a refused export",
  };
  const srcDir = path.join(repoRoot, 'src');
  const undeclared = new Map();
  for (const file of fs.readdirSync(srcDir, { recursive: true }).filter((f) => /\.m?ts$/.test(f))) {
    for (const [name] of fs.readFileSync(path.join(srcDir, file), 'utf8').matchAll(/\b(?:OTEL|DD)_[A-Z0-9_]+\b/g)) {
      if (!(name in SETTINGS) && !(name in notVariables)) undeclared.set(name, file);
    }
  }
  assert.deepEqual(Object.fromEntries(undeclared), {}, 'declare these in src/settings.ts (name: file)');
});
