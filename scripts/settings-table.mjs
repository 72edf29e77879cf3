// The configuration tables of docs/configuration.md, rendered from the settings table (src/settings.ts,
// built to dist/config/settings.js). `node scripts/settings-table.mjs` prints them; `--write` replaces the block
// between the markers in docs/configuration.md. test/unit/config/settings.test.mjs checks that page against them.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const START_MARKER = '<!-- settings table: generated from src/settings.ts by `node scripts/settings-table.mjs --write` -->';
export const END_MARKER = '<!-- end of settings table -->';
/** The page that holds the generated block, relative to the repository root. */
export const SETTINGS_DOC = 'docs/configuration.md';

const require = createRequire(import.meta.url);

/** The default cell: the default as written in the variable, and/or what the declaration says about it. */
export function defaultCell(declaration) {
  return [declaration.default !== undefined ? `\`${declaration.default}\`` : undefined, declaration.defaultNote].filter(Boolean).join(' ');
}

export function meaningCell(declaration) {
  return declaration.secret ? `${declaration.description}; **secret**: never printed` : declaration.description;
}

/** One row per variable, in declaration order. */
export function variableRows(settings) {
  return Object.entries(settings).map(([name, declaration]) => {
    const option = declaration.option ? `\`${declaration.option.name}\`` : '';
    return `| \`${name}\` | ${defaultCell(declaration)} | ${option} | ${meaningCell(declaration)} |`;
  });
}

export function optionRows(optionSettings) {
  return Object.entries(optionSettings).map(([name, declaration]) => `| \`${name}\` | ${declaration.defaultNote} | ${declaration.description} |`);
}

export function renderSettingsBlock({ SETTINGS, OPTION_ONLY_SETTINGS }) {
  return [
    START_MARKER,
    '| variable | default | `start()` option | meaning |',
    '|---|---|---|---|',
    ...variableRows(SETTINGS),
    '',
    '`start()` options without a variable:',
    '',
    '| `start()` option | default | meaning |',
    '|---|---|---|',
    ...optionRows(OPTION_ONLY_SETTINGS),
    END_MARKER,
  ].join('\n');
}

/** The block between the markers in a page's text; undefined when the markers are missing. */
export function settingsBlockOf(text) {
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return text.slice(start, end + END_MARKER.length);
}

function main() {
  const settings = require(path.join(repoRoot, 'dist', 'config', 'settings.js'));
  const block = renderSettingsBlock(settings);
  if (!process.argv.includes('--write')) {
    console.log(block);
    return;
  }
  const docPath = path.join(repoRoot, SETTINGS_DOC);
  const doc = fs.readFileSync(docPath, 'utf8');
  const current = settingsBlockOf(doc);
  if (current === undefined) throw new Error(`${SETTINGS_DOC} has no settings block (markers ${START_MARKER} ... ${END_MARKER})`);
  // A function replacement: the block's own `$` characters are not replacement patterns.
  const updated = doc.replace(current, () => block);
  if (updated === doc) {
    console.log(`${SETTINGS_DOC} settings table already up to date`);
    return;
  }
  fs.writeFileSync(docPath, updated);
  console.log(`${SETTINGS_DOC} settings table updated`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
