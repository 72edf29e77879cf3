// Hostile trace headers through the default propagator, in-process: never an exception, never an invalid parent.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, defaultTextMapGetter, trace, isSpanContextValid } from '@opentelemetry/api';
import { createPropagator } from '../../../dist/tracing/propagation.js';
import { DEFAULT_PROPAGATORS } from '../../../dist/config/resolved-config.js';

test('fuzz: malformed X-Amzn-Trace-Id / traceparent / Datadog headers never throw and never yield an invalid parent', () => {
  const propagator = createPropagator({ propagators: DEFAULT_PROPAGATORS, datadogInjection: false });
  let seed = 42;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pieces = [
    'Root=',
    '1-',
    'Parent=',
    'Sampled=',
    ';',
    '=',
    '-',
    '1',
    '0',
    'ffffffff',
    '5759e988',
    'bd862e3fe1be46a994272793',
    '53995c3f42cd8ad8',
    '\u0000',
    '\u202e',
    '😀',
    ' ',
    '\t',
    '00-',
    'x'.repeat(5000),
    '18446744073709551616',
    '-1',
  ];
  const randomValue = () => Array.from({ length: Math.floor(rand() * 12) }, () => pieces[Math.floor(rand() * pieces.length)]).join('');
  let withParent = 0;
  const started = Date.now();
  for (let i = 0; i < 5000; i++) {
    const carrier = {
      'x-amzn-trace-id': randomValue(),
      traceparent: randomValue(),
      'x-datadog-trace-id': randomValue(),
      'x-datadog-parent-id': randomValue(),
      'x-datadog-tags': randomValue(),
      baggage: randomValue(),
    };
    const sc = trace.getSpanContext(propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter));
    if (sc) {
      assert.ok(isSpanContextValid(sc), `invalid parent from ${JSON.stringify(carrier).slice(0, 200)}`);
      withParent++;
    }
  }
  assert.ok(Date.now() - started < 10_000, 'no pathological slowness');
  assert.ok(withParent < 5000, 'random input mostly starts new traces');
});
