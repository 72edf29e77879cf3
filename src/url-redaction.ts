/**
 * Query strings routinely carry tokens, signatures and personal data, so by
 * default they are stripped from the URL attributes the http instrumentation
 * records, before a span is exported. OTEL_XRAY_DD_HTTP_KEEP_QUERY=true keeps them.
 */
import type { Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';

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
