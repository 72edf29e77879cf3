/**
 * Pure parsers for environment-variable values. Each returns either a value or
 * a reason it was rejected; none throws, whatever the input (huge, unicode,
 * control characters), because a bad env value must never stop the app.
 */

export type Parsed<T> = { ok: true; value: T } | { ok: false; reason: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

// Bounds keep pathological inputs (a 10 MB env var) from costing start-up time.
const MAX_LIST_ITEMS = 128;
const MAX_KEY_LENGTH = 256;
const MAX_VALUE_LENGTH = 4096;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

export function parseRatio(raw: string): Parsed<number> {
  const text = raw.trim();
  if (!/^[0-9]*\.?[0-9]+(e-?[0-9]+)?$/i.test(text)) return bad(`"${preview(raw)}" is not a number`);
  const n = Number(text);
  if (!Number.isFinite(n) || n < 0 || n > 1) return bad(`${text} is outside [0, 1]`);
  return ok(n);
}

export function parseNonNegativeInt(raw: string, max: number): Parsed<number> {
  const text = raw.trim();
  if (!/^[0-9]{1,12}$/.test(text)) return bad(`"${preview(raw)}" is not a whole number`);
  const n = Number(text);
  if (n > max) return bad(`${n} is larger than ${max}`);
  return ok(n);
}

export function parseBoolean(raw: string): Parsed<boolean> {
  const text = raw.trim().toLowerCase();
  if (text === 'true' || text === '1') return ok(true);
  if (text === 'false' || text === '0' || text === '') return ok(false);
  return bad(`"${preview(raw)}" is not true or false`);
}

/** Comma-separated list, trimmed and lower-cased, empties dropped. */
export function parseList(raw: string): string[] {
  return raw
    .split(',')
    .slice(0, MAX_LIST_ITEMS)
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

/** An http(s) URL; anything else is rejected so the exporter never sees it. */
export function parseHttpUrl(raw: string): Parsed<string> {
  const text = raw.trim();
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return bad(`"${preview(raw)}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return bad(`"${preview(raw)}" is not an http(s) URL`);
  }
  return ok(url.toString());
}

/**
 * DD_TAGS: `key:value` pairs separated by commas, or by spaces when there is
 * no comma (Datadog's own rule). The value is everything after the first
 * colon, so `url:http://x` keeps its colon. Entries without a key or value are
 * skipped and reported.
 */
export function parseDdTags(raw: string): { tags: Record<string, string>; rejected: string[] } {
  const tags: Record<string, string> = {};
  const rejected: string[] = [];
  const parts = (raw.includes(',') ? raw.split(',') : raw.split(/\s+/)).slice(0, MAX_LIST_ITEMS);
  for (const part of parts) {
    const entry = part.trim();
    if (entry === '') continue;
    const colon = entry.indexOf(':');
    const key = colon > 0 ? entry.slice(0, colon).trim() : '';
    const value = colon > 0 ? entry.slice(colon + 1).trim() : '';
    if (!isCleanKey(key) || !isCleanValue(value)) {
      rejected.push(preview(entry));
      continue;
    }
    tags[key] = value;
  }
  return { tags, rejected };
}

/**
 * OTEL_RESOURCE_ATTRIBUTES: `key=value` pairs separated by commas, values
 * percent-decoded. Per the OpenTelemetry specification, any error discards the
 * whole value.
 */
export function parseResourceAttributes(raw: string): Parsed<Record<string, string>> {
  const attributes: Record<string, string> = {};
  if (raw.trim() === '') return ok(attributes);
  const parts = raw.split(',');
  if (parts.length > MAX_LIST_ITEMS) return bad(`more than ${MAX_LIST_ITEMS} entries`);
  for (const part of parts) {
    const entry = part.trim();
    if (entry === '') continue;
    const eq = entry.indexOf('=');
    if (eq <= 0) return bad(`"${preview(entry)}" is not key=value`);
    const key = entry.slice(0, eq).trim();
    let value: string;
    try {
      value = decodeURIComponent(entry.slice(eq + 1).trim());
    } catch {
      return bad(`"${preview(entry)}" has a bad percent-encoding`);
    }
    if (!isCleanKey(key) || !isCleanValue(value)) return bad(`"${preview(entry)}" has an invalid key or value`);
    attributes[key] = value;
  }
  return ok(attributes);
}

function isCleanKey(key: string): boolean {
  return key.length > 0 && key.length <= MAX_KEY_LENGTH && !CONTROL_CHARS.test(key) && !/\s/.test(key);
}

function isCleanValue(value: string): boolean {
  return value.length > 0 && value.length <= MAX_VALUE_LENGTH && !CONTROL_CHARS.test(value);
}

/** A short, printable excerpt of a bad value for a diagnostic line. */
export function preview(raw: string): string {
  // eslint-disable-next-line no-control-regex
  const printable = raw.replace(/[\u0000-\u001f\u007f]/g, '?');
  return printable.length > 60 ? `${printable.slice(0, 57)}...` : printable;
}
