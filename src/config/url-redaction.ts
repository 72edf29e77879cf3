/**
 * Query strings routinely carry tokens, signatures and personal data, so by
 * default they are stripped from the URL attributes the http instrumentation
 * records, before a span is exported. OTEL_XRAY_DD_HTTP_KEEP_QUERY=true keeps them.
 *
 * redactUrl() does the same, and more, for every URL we print ourselves
 * (warnings, debug lines, the public handle's endpoint).
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

/**
 * A URL fit for a log line: credentials and the query string replaced by
 * `***`, the fragment dropped. `https://user:token@collector:4318/v1/traces?x=y`
 * prints as `https://***@collector:4318/v1/traces?***`. Text that is not a
 * URL is redacted the same way as far as it looks like one. Never throws.
 */
export function redactUrl(raw: string): string {
  const text = String(raw).trim();
  try {
    const url = new URL(text);
    if (url.host !== '' && text.includes('//')) {
      const credentials = url.username !== '' || url.password !== '' ? '***@' : '';
      return `${url.protocol}//${credentials}${url.host}${url.pathname}${url.search !== '' ? '?***' : ''}`;
    }
  } catch {
    // Not a URL: redact what looks like credentials and a query below.
  }
  return text
    .replace(/#.*$/s, '')
    .replace(/\?.*$/s, '?***')
    .replace(/^((?:[^/?#]*\/\/)?)[^/?#]*@/, '$1***@');
}

/**
 * Every URL-looking part of a free-form message redacted as redactUrl does:
 * the safety net for diagnostics we do not write ourselves (the OTLP
 * exporter prints the endpoint variables it cannot parse, verbatim).
 */
export function redactUrlsIn(message: string): string {
  return message.replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#@'"]*@/gi, '$1***@').replace(/(\b[a-z][a-z0-9+.-]*:\/\/[^\s?#'"]*)\?[^\s#'"]*/gi, '$1?***');
}

const URL_KEYS = ['url.full', 'http.url', 'http.target'];
const QUERY_KEYS = ['url.query'];

export class UrlQueryRedactor implements SpanProcessor {
  onStart(_span: Span, _parentContext: Context): void {}

  onEnding(span: Span): void {
    const attributes = span.attributes as Record<string, unknown>;
    for (const key of URL_KEYS) {
      const value = attributes[key];
      if (typeof value === 'string' && value.includes('?')) span.setAttribute(key, value.slice(0, value.indexOf('?')));
    }
    // The API cannot remove an attribute; the SDK span's attribute map is a plain object.
    for (const key of QUERY_KEYS) delete attributes[key];
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
