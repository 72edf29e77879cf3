// OTLP/HTTP protobuf trace requests (opentelemetry-proto trace/v1) decoded into the shape of
// OTLP JSON, so the receiver double reads both encodings the same way.
import { decode } from './protobuf-wire.mjs';

const AnyValue = {};
const KeyValue = { 1: ['key', 'string'], 2: ['value', AnyValue] };
Object.assign(AnyValue, {
  1: ['stringValue', 'string'],
  2: ['boolValue', 'bool'],
  3: ['intValue', 'int64'],
  4: ['doubleValue', 'double'],
  5: ['arrayValue', { 1: ['values', AnyValue, true] }],
  6: ['kvlistValue', { 1: ['values', KeyValue, true] }],
  7: ['bytesValue', 'bytes'],
});
const Event = { 1: ['timeUnixNano', 'fixed64'], 2: ['name', 'string'], 3: ['attributes', KeyValue, true] };
const Link = { 1: ['traceId', 'bytes'], 2: ['spanId', 'bytes'], 3: ['traceState', 'string'], 4: ['attributes', KeyValue, true] };
const Status = { 2: ['message', 'string'], 3: ['code', 'int32'] };
const Span = {
  1: ['traceId', 'bytes'],
  2: ['spanId', 'bytes'],
  3: ['traceState', 'string'],
  4: ['parentSpanId', 'bytes'],
  5: ['name', 'string'],
  6: ['kind', 'int32'],
  7: ['startTimeUnixNano', 'fixed64'],
  8: ['endTimeUnixNano', 'fixed64'],
  9: ['attributes', KeyValue, true],
  11: ['events', Event, true],
  13: ['links', Link, true],
  15: ['status', Status],
};
const Scope = { 1: ['name', 'string'], 2: ['version', 'string'] };
const ScopeSpans = { 1: ['scope', Scope], 2: ['spans', Span, true] };
const Resource = { 1: ['attributes', KeyValue, true] };
const ResourceSpans = { 1: ['resource', Resource], 2: ['scopeSpans', ScopeSpans, true] };
const ExportTraceServiceRequest = { 1: ['resourceSpans', ResourceSpans, true] };

/** The request as OTLP JSON would carry it (ids in hex, integers as numbers). */
export function decodeOtlpTraces(buf) {
  return jsonShape(decode(buf, ExportTraceServiceRequest));
}

function jsonShape(value) {
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(jsonShape);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonShape(v)]));
  return value;
}
