/**
 * Where the function's handler lives and how the runtime will load it, read
 * from the same variables the Lambda runtime reads (_HANDLER, LAMBDA_TASK_ROOT),
 * so we hook exactly the file the runtime is about to load.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

type Env = Readonly<Record<string, string | undefined>>;

export interface HandlerLocation {
  /** Absolute path of the handler module, extension included. */
  file: string;
  /** The file's name without directory or extension (how module hooks name a file). */
  moduleName: string;
  /** The export the runtime calls, e.g. "handler" in "index.handler". */
  exportName: string;
}

// The runtime tries these in this order for "dir/module.export".
const EXTENSIONS = ['.js', '.mjs', '.cjs'];

export function locateHandler(env: Env = process.env): HandlerLocation | undefined {
  const taskRoot = env.LAMBDA_TASK_ROOT;
  const handler = env._HANDLER;
  if (!taskRoot || !handler) return undefined;
  const slash = handler.lastIndexOf('/');
  const base = handler.slice(slash + 1);
  const dot = base.indexOf('.');
  if (dot <= 0 || dot === base.length - 1) return undefined;
  const moduleName = base.slice(0, dot);
  const exportName = base.slice(dot + 1);
  const stem = resolve(taskRoot, handler.slice(0, slash + 1), moduleName);
  const file = EXTENSIONS.map((ext) => stem + ext).find((candidate) => existsSync(candidate));
  return file === undefined ? undefined : { file, moduleName, exportName };
}

/** True when Node will load the file as an ES module (.mjs, or .js under a "type": "module" package). */
export function isEsModuleFile(file: string): boolean {
  if (file.endsWith('.mjs')) return true;
  if (!file.endsWith('.js')) return false;
  // The nearest package.json decides, as it does for Node (one it cannot parse fails there, and the runtime reports that).
  return nearestManifest(dirname(file), 32)?.type === 'module';
}

/** The nearest package.json from `dir` upwards, at most `depth` directories: its content; null when it cannot be read; undefined when there is none. */
function nearestManifest(dir: string, depth: number): Record<string, unknown> | null | undefined {
  for (let level = 0; level < depth; level++) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      try {
        const parsed: unknown = JSON.parse(readFileSync(manifest, 'utf8'));
        return typeof parsed === 'object' && parsed !== null ? (parsed as Record<string, unknown>) : null;
      } catch {
        return null;
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return undefined;
}
