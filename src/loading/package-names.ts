/**
 * Which package a module request, file or URL belongs to: what the
 * instrumentation triggers are keyed by. On every require, so kept cheap.
 */

/** The package a bare specifier names (`pg/lib/x` -> `pg`, `node:http` -> `http`); undefined for paths. */
export function packageOf(request: string): string | undefined {
  const first = request.charCodeAt(0);
  if (first === 46 /* . */ || first === 47 /* / */ || request.length === 0) return undefined;
  const bare = request.startsWith('node:') ? request.slice(5) : request;
  const slash = bare.indexOf('/');
  if (bare.charCodeAt(0) === 64 /* @ */) {
    const second = slash === -1 ? -1 : bare.indexOf('/', slash + 1);
    return second === -1 ? bare : bare.slice(0, second);
  }
  return slash === -1 ? bare : bare.slice(0, slash);
}

/** The package a loaded module's URL belongs to (`file:///…/node_modules/pg/lib/index.js` -> `pg`). */
export function packageOfUrl(url: string): string | undefined {
  return url.startsWith('node:') ? url.slice(5) : packageOfPath(url);
}

/** The package a file belongs to (`/app/node_modules/mysql2/promise.js` -> `mysql2`). */
export function packageOfPath(file: string): string | undefined {
  const at = file.lastIndexOf('/node_modules/');
  return at === -1 ? undefined : packageOf(file.slice(at + '/node_modules/'.length));
}

/** The package a Module._load request belongs to: a bare specifier, or the absolute path the ES module loader hands over for CommonJS files. */
export function packageOfRequest(request: string): string | undefined {
  return request.charCodeAt(0) === 47 /* / */ ? packageOfPath(request) : packageOf(request);
}
