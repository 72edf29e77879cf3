/**
 * Pure parsers for setting values (environment variables, and start() options
 * once coerced to the same text). Each returns a value, a value with a
 * problem (part of the input was unusable: `partial` says what and what is
 * used instead), or a reason it was rejected; none throws, whatever the input
 * (huge, unicode, control characters), because a bad value must never stop the app.
 */
import { redactUrl } from './url-redaction';

export type Parsed<T> = { ok: true; value: T; partial?: { reason: string; using: string } } | { ok: false; reason: string };

export const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
export const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });
const partly = <T>(value: T, reason: string, using: string): Parsed<T> => ({ ok: true, value, partial: { reason, using } });

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
    return bad(`"${preview(redactUrl(text))}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return bad(`"${preview(redactUrl(text))}" is not an http(s) URL`);
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

/** DD_TAGS as a setting: the well-formed entries, and a problem when some were not. */
export function parseDdTagsSetting(raw: string): Parsed<Record<string, string>> {
  const { tags, rejected } = parseDdTags(raw);
  if (rejected.length === 0) return ok(tags);
  return partly(tags, `ignored malformed entries (${rejected.slice(0, 3).join(' | ')}); expected key:value`, 'the well-formed entries only');
}

/** Extra resource attributes given to start(): an object of string values, checked like DD_TAGS entries. */
export function parseAttributeRecord(value: unknown): Parsed<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return bad(`${describeValue(value)} is not an object of string values`);
  const attributes: Record<string, string> = {};
  const rejected: string[] = [];
  for (const [key, entry] of Object.entries(value as Record<string, unknown>).slice(0, MAX_LIST_ITEMS)) {
    const text = typeof entry === 'string' ? entry.trim() : undefined;
    if (text !== undefined && isCleanKey(key.trim()) && isCleanValue(text)) attributes[key.trim()] = text;
    else rejected.push(preview(key));
  }
  if (rejected.length === 0) return ok(attributes);
  return partly(attributes, `ignored entries whose key or value is not clean text (${rejected.slice(0, 3).join(' | ')})`, 'the well-formed entries only');
}

/** A unified-tag value (service, env, version, function name): any printable text up to 4096 characters. */
export function parseText(raw: string): Parsed<string> {
  const text = raw.trim();
  if (!isCleanValue(text)) return bad(`"${preview(raw)}" has control characters or is longer than ${MAX_VALUE_LENGTH} characters`);
  return ok(text);
}

/** One of a fixed set of words, case-insensitive. */
export function parseOneOf<T extends string>(values: readonly T[], unsupported: Readonly<Record<string, string>> = {}): (raw: string) => Parsed<T> {
  return (raw) => {
    const lower = raw.trim().toLowerCase();
    const known = values.find((value) => value === lower);
    if (known !== undefined) return ok(known);
    const why = Object.prototype.hasOwnProperty.call(unsupported, lower) ? unsupported[lower] : undefined;
    return bad(`"${preview(raw)}" ${why ?? `is not one of ${values.join(', ')}`}`);
  };
}

/** A duration in whole milliseconds, at most `max`. */
export function parseMilliseconds(max: number): (raw: string) => Parsed<number> {
  return (raw) => parseNonNegativeInt(raw, max);
}

export interface NameListRules<T extends string> {
  /** What one name is called in a warning ("propagator"). */
  noun: string;
  /** The names a user may write, for the warning. */
  known: readonly string[];
  /** The canonical name for a written one, or undefined when unknown. */
  canonical: (name: string) => T | undefined;
  /** A list without one known name (and without `none`) is rejected, rather than taken as empty. */
  rejectWhenNoneKnown: boolean;
}

/**
 * A comma list of known names: `none` (alone or among others) stands for no
 * names, duplicates are dropped, unknown names are dropped with a problem.
 */
export function parseNameList<T extends string>(rules: NameListRules<T>): (raw: string) => Parsed<T[]> {
  return (raw) => {
    const listed = parseList(raw);
    const chosen: T[] = [];
    const unknown: string[] = [];
    for (const name of listed) {
      if (name === 'none') continue;
      const known = rules.canonical(name);
      if (known === undefined) unknown.push(preview(name));
      else if (!chosen.includes(known)) chosen.push(known);
    }
    const problem = `unknown ${rules.noun}(s) ${unknown.slice(0, 5).join(', ')} (known: ${rules.known.join(', ')}, none)`;
    if (unknown.length === 0) return ok(chosen);
    if (chosen.length === 0 && !listed.includes('none') && rules.rejectWhenNoneKnown) return bad(problem);
    return partly(chosen, problem, chosen.length > 0 ? chosen.join(',') : 'none');
  };
}

/** A value read by the OpenTelemetry packages themselves: passed through untouched. */
export function parsePassThrough(raw: string): Parsed<string> {
  return ok(raw.trim());
}

/** How a start() option's value is brought to the text its variable would hold. */
export type OptionKind = 'string' | 'number' | 'boolean' | 'list';

/**
 * A start() option as the text of its variable, so that one parser checks
 * both; undefined when the option is absent (undefined, null, blank text).
 */
export function optionText(kind: OptionKind, value: unknown): Parsed<string> | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value.trim() === '' ? undefined : ok(value);
  switch (kind) {
    case 'string':
      return bad(`${describeValue(value)} is not a string`);
    case 'number':
      return typeof value === 'number' ? ok(String(value)) : bad(`${describeValue(value)} is not a number`);
    case 'boolean':
      return typeof value === 'boolean' ? ok(String(value)) : bad(`${describeValue(value)} is not true or false`);
    case 'list':
      if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) return bad(`${describeValue(value)} is not a list of names`);
      return ok(value.length === 0 ? 'none' : value.slice(0, MAX_LIST_ITEMS).join(','));
  }
}

/** A short, printable rendering of any value (start() options come from code, of any type). */
export function describeValue(value: unknown): string {
  try {
    if (typeof value === 'string') return `"${preview(value)}"`;
    if (typeof value === 'function') return 'a function';
    if (typeof value === 'bigint' || typeof value === 'symbol') return `a ${typeof value}`;
    return preview(JSON.stringify(value) ?? String(value));
  } catch {
    return `a value of type ${typeof value}`;
  }
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
