// Our X-Ray id generator against the official one: same format, plus the bit Datadog needs clear.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { AWSXRayIdGenerator } from '@opentelemetry/id-generator-aws-xray';
import { AWSXRayPropagator } from '@opentelemetry/propagator-aws-xray';
import { XRayDatadogIdGenerator, datadogTraceId } from '../../../dist/tracing/trace-ids.js';

test('trace and span ids: the official X-Ray format, lower-half bit 63 clear, X-Ray header round trip', () => {
  const ours = new XRayDatadogIdGenerator();
  const official = new AWSXRayIdGenerator();
  const xray = new AWSXRayPropagator();
  const seenTrace = new Set();
  for (let i = 0; i < 5000; i++) {
    const before = Math.floor(Date.now() / 1000);
    const traceId = ours.generateTraceId();
    const spanId = ours.generateSpanId();
    const reference = official.generateTraceId();
    assert.match(traceId, /^[0-9a-f]{32}$/);
    assert.match(spanId, /^[0-9a-f]{16}$/);
    assert.notEqual(spanId, '0000000000000000');
    const epoch = parseInt(traceId.slice(0, 8), 16);
    assert.ok(epoch >= before && epoch <= Math.floor(Date.now() / 1000), 'epoch second first, as X-Ray requires');
    assert.ok(Math.abs(epoch - parseInt(reference.slice(0, 8), 16)) <= 1, 'the same epoch field as the official generator');
    assert.ok(parseInt(traceId[16], 16) < 8, 'bit 63 of the lower half is clear');
    assert.ok(BigInt(datadogTraceId(traceId)) < 2n ** 63n, 'Datadog 63- and 64-bit ids agree');
    seenTrace.add(traceId);
    const carrier = {};
    const context = trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags: 1 });
    xray.inject(context, carrier, defaultTextMapSetter);
    const back = trace.getSpanContext(xray.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
    assert.deepEqual([back.traceId, back.spanId], [traceId, spanId]);
  }
  assert.equal(seenTrace.size, 5000, 'no repeats');
});
