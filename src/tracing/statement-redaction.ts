/**
 * No literal value leaves in a database span by default: SQL statements keep
 * their shape with every string and number literal replaced by `?`
 * (placeholders, identifiers and keywords stay), and Redis/memcached commands
 * keep only the command (`set ?`). The collector's datadog exporter
 * obfuscates the resource itself, but not `db.query.text`/`db.statement`;
 * this runs before DatadogNames copies the statement there, so whichever
 * backend gets the span (Datadog, X-Ray) sees no literal. Opt-ins:
 * OTEL_XRAY_DD_DB_KEEP_STATEMENTS, OTEL_XRAY_DD_DB_KEEP_COMMANDS.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { COMMAND_SYSTEMS } from '../datadog/span-names';

const STATEMENT_KEYS = ['db.query.text', 'db.statement'] as const;
// Systems whose SQL dialect escapes with backslashes and quotes strings with "".
const MYSQL_DIALECTS = new Set(['mysql', 'mariadb']);

// comment | dollar quote | quoted name | string start | placeholder | word | number
const TOKEN =
  /(--[^\n]*|\/\*[\s\S]*?\*\/)|(\$(?:[A-Za-z_]\w*)?\$)|("(?:[^"]|"")*"|`(?:[^`]|``)*`)|((?:[eEnNxXbB]|_[A-Za-z0-9]+)?')|(\$\d+|[:@][A-Za-z_]\w*|\?)|([A-Za-z_][\w$]*)|(\b0[xX][0-9a-fA-F]+\b|(?:\b\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)/g;

/** `text` with its string and number literals replaced by `?`; anything it cannot read to its end becomes `?` (fails closed). */
export function obfuscateSql(text: string, { backslashEscapes = false, doubleQuotedStrings = false } = {}): string {
  let out = '';
  let at = 0;
  const token = new RegExp(TOKEN.source, 'g');
  for (let m = token.exec(text); m !== null; m = token.exec(text)) {
    out += text.slice(at, m.index);
    at = token.lastIndex;
    const [all, comment, dollar, quotedName, stringStart, placeholder, word] = m;
    if (comment !== undefined) continue; // comments can hold anything
    if (dollar !== undefined) {
      const end = text.indexOf(dollar, at);
      if (end === -1) return '?';
      out += '?';
      at = token.lastIndex = end + dollar.length;
    } else if (quotedName !== undefined) {
      out += doubleQuotedStrings && all.startsWith('"') ? '?' : all;
    } else if (stringStart !== undefined) {
      const escapes = backslashEscapes || /^[eE]'/.test(stringStart);
      let i = at;
      for (;;) {
        if (i >= text.length) return '?';
        const c = text[i];
        if (escapes && c === '\\') i += 2;
        else if (c === "'" && text[i + 1] === "'") i += 2;
        else if (c === "'") break;
        else i += 1;
      }
      out += '?';
      at = token.lastIndex = i + 1;
    } else if (placeholder !== undefined || word !== undefined) {
      out += all;
    } else {
      out += '?'; // a number
    }
  }
  return out + text.slice(at);
}

/** `set session:7 [1 other arguments]` -> `set ?`: the command, never its keys. */
export function commandOnly(text: string): string {
  const trimmed = text.trim();
  const space = trimmed.indexOf(' ');
  return space === -1 ? trimmed : `${trimmed.slice(0, space)} ?`;
}

export class DbStatementRedactor implements SpanProcessor {
  constructor(private readonly keep: { statements: boolean; commands: boolean }) {}

  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    const system = span.attributes['db.system.name'] ?? span.attributes['db.system'];
    if (typeof system !== 'string' || system === 'mongodb') return; // mongodb's instrumentation writes `?` for values itself
    const command = COMMAND_SYSTEMS.has(system);
    if (command ? this.keep.commands : this.keep.statements) return;
    const mysql = MYSQL_DIALECTS.has(system);
    for (const key of STATEMENT_KEYS) {
      const text = span.attributes[key];
      if (typeof text !== 'string') continue;
      span.setAttribute(key, command ? commandOnly(text) : obfuscateSql(text, { backslashEscapes: mysql, doubleQuotedStrings: mysql }));
    }
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
