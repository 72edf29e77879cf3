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
import type { Context } from '@opentelemetry/api';
import { epochMs, type EventTrace, type InferredSpan, isRecord, stringOf } from './types';

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
  const inferred = gatewaySpan(event);
  const fromAuthorizer = authorizerCarrier(event);
  let upstream: Context | undefined;
  if (fromAuthorizer !== undefined) {
    upstream = upstreamContext({ ...fromAuthorizer, ...(headers.baggage !== undefined ? { baggage: headers.baggage } : {}) });
    if (validSpanContext(upstream) === undefined) upstream = undefined;
  }
  const trace: EventTrace = { trigger: 'http', upstream: upstream ?? upstreamContext(headers), links: [] };
  if (inferred !== undefined) trace.inferred = inferred;
  return trace;
}

/**
 * The API Gateway or function URL request, from its arrival in the event to
 * the end of the invocation, named as Datadog's Lambda library names it
 * (ALB and AppSync events carry no arrival time: no span).
 */
function gatewaySpan(event: Record<string, unknown>): InferredSpan | undefined {
  const context = event.requestContext;
  if (!isRecord(context)) return undefined;
  const domain = typeof context.domainName === 'string' && context.domainName.length <= 256 ? context.domainName : undefined;
  if (domain === undefined) return undefined;
  const request = (operation: string, resource: string | undefined, startMs: number | undefined): InferredSpan | undefined =>
    startMs === undefined || resource === undefined ? undefined : { operation, service: domain, resource, kind: 'server', startMs, end: 'invocation' };
  if (typeof context.connectionId === 'string') return request('aws.apigateway.websocket', stringOf(context.routeKey), epochMs(context.requestTimeEpoch));
  if (isRecord(context.http)) {
    const method = stringOf(context.http.method);
    const route = stringOf(event.routeKey);
    if (domain.includes('.lambda-url.')) return request('aws.lambda.url', method && `${method} ${stringOf(context.http.path) ?? '/'}`, epochMs(context.timeEpoch));
    return request('aws.httpapi', route !== undefined && route !== '$default' ? route : method && `${method} ${stringOf(context.http.path) ?? '/'}`, epochMs(context.timeEpoch));
  }
  const method = stringOf(event.httpMethod);
  const resource = stringOf(event.resource) ?? stringOf(context.resourcePath);
  return request('aws.apigateway.rest', method && resource && `${method} ${resource}`, epochMs(context.requestTimeEpoch));
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
