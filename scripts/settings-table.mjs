// The README's configuration tables, rendered from the settings table (src/settings.ts, built to
// dist/settings.js). `node scripts/settings-table.mjs` prints them; `--write` replaces the block
// between the markers in README.md. test/unit/settings.test.mjs checks the README against them.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const START_MARKER = '<!-- settings table: generated from src/settings.ts by `node scripts/settings-table.mjs --write` -->';
export const END_MARKER = '<!-- end of settings table -->';

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

/** The block between the markers in a README text; undefined when the markers are missing. */
export function settingsBlockOf(readme) {
  const start = readme.indexOf(START_MARKER);
  const end = readme.indexOf(END_MARKER);
  if (start < 0 || end < start) return undefined;
  return readme.slice(start, end + END_MARKER.length);
}

function main() {
  const settings = require(path.join(repoRoot, 'dist', 'settings.js'));
  const block = renderSettingsBlock(settings);
  if (!process.argv.includes('--write')) {
    console.log(block);
    return;
  }
  const readmePath = path.join(repoRoot, 'README.md');
  const readme = fs.readFileSync(readmePath, 'utf8');
  const current = settingsBlockOf(readme);
  if (current === undefined) throw new Error(`README.md has no settings block (markers ${START_MARKER} ... ${END_MARKER})`);
  fs.writeFileSync(readmePath, readme.replace(current, block));
  console.log('README.md settings table updated');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
