/**
 * Requests: API Gateway REST, HTTP and WebSocket APIs, function URLs, ALB
 * (with or without multi-value headers) and AppSync resolvers. The context is
 * in the request headers, or, when a traced Lambda authorizer ran for this
 * request, in the `_datadog` entry of the authorizer context it returned
 * (base64 JSON, as Datadog's libraries write it): the authorizer's span is
 * then the parent, as it ran between the caller and this function.
 */
import { MAX_CARRIER_BYTES, MAX_KEY_LENGTH, parseDatadogJson } from '../../messaging/carriers';
import { type Carrier, upstreamContext, validSpanContext } from './upstream';
import { type EventTrace, isRecord } from './types';

const MAX_HEADERS_READ = 200;
// Set by Datadog's authorizer instrumentation to the request it authorized: a cached authorizer answer carries an older request's context.
const AUTHORIZING_REQUEST_ID = 'x-datadog-authorizing-requestid';

/** Whether the event is a request of one of the kinds above. */
export function isHttpEvent(event: Record<string, unknown>): boolean {
  const requestContext = event.requestContext;
  if (isRecord(requestContext)) {
    if (typeof event.httpMethod === 'string' || isRecord(requestContext.http) || isRecord(requestContext.elb)) return true;
    if (typeof requestContext.connectionId === 'string' && typeof requestContext.routeKey === 'string') return true; // WebSocket
  }
  return isAppSyncEvent(event);
}

function isAppSyncEvent(event: Record<string, unknown>): boolean {
  return isRecord(event.info) && isRecord(event.request) && isRecord(event.request.headers);
}

export function fromHttpEvent(event: Record<string, unknown>): EventTrace {
  const headers = requestHeaders(event);
  const fromAuthorizer = authorizerCarrier(event);
  if (fromAuthorizer !== undefined) {
    const upstream = upstreamContext({ ...fromAuthorizer, ...(headers.baggage !== undefined ? { baggage: headers.baggage } : {}) });
    if (validSpanContext(upstream) !== undefined) return { trigger: 'http', upstream, links: [] };
  }
  return { trigger: 'http', upstream: upstreamContext(headers), links: [] };
}

/** Lower-case header names; single-value headers, else the first of the multi-value ones (ALB and REST APIs). */
export function requestHeaders(event: Record<string, unknown>): Carrier {
  const out: Carrier = {};
  const request = isAppSyncEvent(event) ? (event.request as Record<string, unknown>) : event;
  let read = 0;
  const multi = request.multiValueHeaders;
  if (isRecord(multi)) {
    for (const key in multi) {
      if (++read > MAX_HEADERS_READ) break;
      const values = multi[key];
      if (Array.isArray(values) && typeof values[0] === 'string' && key.length <= MAX_KEY_LENGTH) out[key.toLowerCase()] = values[0];
    }
  }
  const single = request.headers;
  if (isRecord(single)) {
    read = 0;
    for (const key in single) {
      if (++read > MAX_HEADERS_READ) break;
      const value = single[key];
      if (typeof value === 'string' && key.length <= MAX_KEY_LENGTH && value.length <= MAX_CARRIER_BYTES) out[key.toLowerCase()] = value;
    }
  }
  return out;
}

function authorizerCarrier(event: Record<string, unknown>): Carrier | undefined {
  const requestContext = event.requestContext;
  if (!isRecord(requestContext) || !isRecord(requestContext.authorizer)) return undefined;
  const authorizer = requestContext.authorizer;
  // REST APIs put the authorizer's context at the top; HTTP APIs under `lambda`.
  const raw = typeof authorizer._datadog === 'string' ? authorizer._datadog : isRecord(authorizer.lambda) ? authorizer.lambda._datadog : undefined;
  if (typeof raw !== 'string') return undefined;
  const carrier = parseDatadogJson(raw, true);
  if (carrier === undefined) return undefined;
  const latency = authorizer.integrationLatency;
  const thisRequest = (typeof latency === 'number' && latency > 0) || (requestContext.requestId !== undefined && carrier[AUTHORIZING_REQUEST_ID] === requestContext.requestId);
  return thisRequest ? carrier : undefined;
}
