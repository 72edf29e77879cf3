// Propagators and extractors in-process: which parent each header set yields, in which order they
// win, what is injected, and that a propagator list from config always builds.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ROOT_CONTEXT, defaultTextMapGetter, defaultTextMapSetter, propagation, trace, TraceFlags } from '@opentelemetry/api';
import { createPropagator } from '../../../dist/tracing/propagation.js';
import { DatadogPropagator } from '../../../dist/datadog/propagator.js';
import { resolveConfig } from '../../../dist/config/resolve-config.js';
import { DEFAULT_PROPAGATORS } from '../../../dist/config/resolved-config.js';

const TRACE = '5759e988bd862e3fe1be46a994272793';
const SPAN = '53995c3f42cd8ad8';
const OTHER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const OTHER_SPAN = 'b7ad6b7169203331';
const xrayHeader = (trace = TRACE, span = SPAN, sampled = 1) => `Root=1-${trace.slice(0, 8)}-${trace.slice(8)};Parent=${span};Sampled=${sampled}`;
const lowerDecimal = (traceId) => BigInt(`0x${traceId.slice(16)}`).toString(10);
const decimal = (hex) => BigInt(`0x${hex}`).toString(10);

const defaults = createPropagator({ propagators: DEFAULT_PROPAGATORS, datadogInjection: false });
const extract = (carrier, propagator = defaults) => {
  const ctx = propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);
  const sc = trace.getSpanContext(ctx);
  return { sc: sc && { traceId: sc.traceId, spanId: sc.spanId, sampled: (sc.traceFlags & TraceFlags.SAMPLED) === 1, dd: sc.traceState?.get('dd') }, ctx };
};

const extraction = [
  { name: 'X-Amzn-Trace-Id alone', carrier: { 'x-amzn-trace-id': xrayHeader() }, expect: { traceId: TRACE, spanId: SPAN, sampled: true } },
  { name: 'X-Amzn-Trace-Id Sampled=0', carrier: { 'x-amzn-trace-id': xrayHeader(TRACE, SPAN, 0) }, expect: { traceId: TRACE, spanId: SPAN, sampled: false } },
  { name: 'traceparent alone', carrier: { traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01` }, expect: { traceId: OTHER_TRACE, spanId: OTHER_SPAN, sampled: true } },
  {
    name: 'Datadog headers, 64-bit id',
    carrier: { 'x-datadog-trace-id': lowerDecimal(TRACE), 'x-datadog-parent-id': decimal(SPAN) },
    expect: { traceId: `0000000000000000${TRACE.slice(16)}`, spanId: SPAN, sampled: true },
  },
  {
    name: 'Datadog headers, 128-bit id through _dd.p.tid, user-keep priority and origin',
    carrier: {
      'x-datadog-trace-id': lowerDecimal(TRACE),
      'x-datadog-parent-id': decimal(SPAN),
      'x-datadog-tags': `_dd.p.tid=${TRACE.slice(0, 16)},_dd.p.dm=-4`,
      'x-datadog-sampling-priority': '2',
      'x-datadog-origin': 'synthetics',
    },
    expect: { traceId: TRACE, spanId: SPAN, sampled: true, dd: 's:2;o:synthetics' },
  },
  {
    name: 'Datadog auto-reject',
    carrier: { 'x-datadog-trace-id': '1', 'x-datadog-parent-id': '2', 'x-datadog-sampling-priority': '0' },
    expect: { traceId: '00000000000000000000000000000001', spanId: '0000000000000002', sampled: false, dd: 's:0' },
  },
  {
    name: 'Datadog user-reject',
    carrier: { 'x-datadog-trace-id': '1', 'x-datadog-parent-id': '2', 'x-datadog-sampling-priority': '-1' },
    expect: { traceId: '00000000000000000000000000000001', spanId: '0000000000000002', sampled: false, dd: 's:-1' },
  },
  {
    name: 'X-Ray and traceparent disagree: traceparent wins',
    carrier: { 'x-amzn-trace-id': xrayHeader(), traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01` },
    expect: { traceId: OTHER_TRACE, spanId: OTHER_SPAN, sampled: true },
  },
  {
    name: 'Datadog and traceparent disagree: traceparent wins',
    carrier: { 'x-datadog-trace-id': '1', 'x-datadog-parent-id': '2', traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01` },
    expect: { traceId: OTHER_TRACE, spanId: OTHER_SPAN, sampled: true },
  },
  {
    name: 'a malformed traceparent leaves the valid X-Ray parent',
    carrier: { 'x-amzn-trace-id': xrayHeader(), traceparent: '00-zz-yy-01' },
    expect: { traceId: TRACE, spanId: SPAN, sampled: true },
  },
  { name: 'a malformed X-Amzn-Trace-Id: no parent', carrier: { 'x-amzn-trace-id': 'Root=garbage;Parent=zz' }, expect: undefined },
  { name: 'an all-zero X-Ray root: no parent', carrier: { 'x-amzn-trace-id': xrayHeader('0'.repeat(32), '0'.repeat(16)) }, expect: undefined },
  { name: 'Datadog ids out of range: no parent', carrier: { 'x-datadog-trace-id': '18446744073709551616', 'x-datadog-parent-id': '2' }, expect: undefined },
  { name: 'Datadog zero parent: no parent', carrier: { 'x-datadog-trace-id': '5', 'x-datadog-parent-id': '0' }, expect: undefined },
  { name: 'no headers', carrier: {}, expect: undefined },
];

for (const c of extraction) {
  test(`extract: ${c.name}`, () => {
    const { sc } = extract(c.carrier);
    if (c.expect === undefined) assert.equal(sc, undefined);
    else assert.deepEqual(sc, { dd: undefined, ...c.expect });
  });
}

test('extract: a later propagator in the configured order wins', () => {
  const carrier = { 'x-amzn-trace-id': xrayHeader(), traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01` };
  const xrayLast = createPropagator(resolveConfig({ OTEL_PROPAGATORS: 'tracecontext,xray' }, {}, () => undefined));
  assert.equal(extract(carrier, xrayLast).sc.traceId, TRACE);
  const tracecontextOnly = createPropagator(resolveConfig({}, { propagators: ['tracecontext'] }, () => undefined));
  assert.equal(extract({ 'x-amzn-trace-id': xrayHeader() }, tracecontextOnly).sc, undefined);
  const none = createPropagator(resolveConfig({ OTEL_PROPAGATORS: 'none' }, {}, () => undefined));
  assert.equal(extract(carrier, none).sc, undefined);
});

test('extract: baggage travels next to the parent', () => {
  const { ctx } = extract({ traceparent: `00-${OTHER_TRACE}-${OTHER_SPAN}-01`, baggage: 'tenant=acme,plan=pro' });
  const baggage = propagation.getBaggage(ctx);
  assert.equal(baggage.getEntry('tenant').value, 'acme');
  assert.equal(baggage.getEntry('plan').value, 'pro');
});

const active = (traceId = TRACE, spanId = SPAN, traceFlags = TraceFlags.SAMPLED) => trace.setSpanContext(ROOT_CONTEXT, { traceId, spanId, traceFlags, isRemote: false });
const inject = (propagator, ctx = active()) => {
  const carrier = {};
  propagator.inject(ctx, carrier, defaultTextMapSetter);
  return carrier;
};

test('inject: X-Ray and W3C headers by default; Datadog headers only when datadog is listed explicitly', () => {
  const carrier = inject(defaults);
  assert.equal(carrier['x-amzn-trace-id'], xrayHeader());
  assert.equal(carrier.traceparent, `00-${TRACE}-${SPAN}-01`);
  assert.equal(carrier['x-datadog-trace-id'], undefined);

  const explicit = resolveConfig({ OTEL_PROPAGATORS: 'xray,datadog,tracecontext,baggage' }, {}, () => undefined);
  assert.equal(explicit.datadogInjection, true);
  const withDatadog = inject(createPropagator(explicit));
  assert.equal(withDatadog['x-datadog-trace-id'], lowerDecimal(TRACE));
  assert.equal(withDatadog['x-datadog-parent-id'], decimal(SPAN));
  assert.equal(withDatadog['x-datadog-sampling-priority'], '1');
  assert.equal(withDatadog['x-datadog-tags'], `_dd.p.tid=${TRACE.slice(0, 16)}`);
});

test('Datadog round trip: priority and origin survive our hop; our sampling flag wins a disagreement', () => {
  const dd = new DatadogPropagator(true);
  const inbound = {
    'x-datadog-trace-id': lowerDecimal(TRACE),
    'x-datadog-parent-id': decimal(SPAN),
    'x-datadog-tags': `_dd.p.tid=${TRACE.slice(0, 16)}`,
    'x-datadog-sampling-priority': '2',
    'x-datadog-origin': 'lambda',
  };
  const parent = trace.getSpanContext(dd.extract(ROOT_CONTEXT, inbound, defaultTextMapGetter));
  const child = trace.setSpanContext(ROOT_CONTEXT, { ...parent, spanId: OTHER_SPAN, isRemote: false });
  const out = {};
  dd.inject(child, out, defaultTextMapSetter);
  assert.deepEqual(out, {
    'x-datadog-trace-id': lowerDecimal(TRACE),
    'x-datadog-parent-id': decimal(OTHER_SPAN),
    'x-datadog-sampling-priority': '2',
    'x-datadog-origin': 'lambda',
    'x-datadog-tags': `_dd.p.tid=${TRACE.slice(0, 16)}`,
  });

  const unsampled = trace.setSpanContext(ROOT_CONTEXT, { ...parent, spanId: OTHER_SPAN, traceFlags: TraceFlags.NONE, isRemote: false });
  const out2 = {};
  dd.inject(unsampled, out2, defaultTextMapSetter);
  assert.equal(out2['x-datadog-sampling-priority'], '0');
  assert.deepEqual(new DatadogPropagator(false).fields(), []);
});

test('a propagator list from any start() option or variable builds a working propagator', () => {
  for (const [env, options] of [
    [{}, { propagators: ['b3'] }],
    [{ OTEL_PROPAGATORS: 'jaeger' }, {}],
    [{}, { propagators: 'xray-lambda' }],
    [{}, { propagators: [] }],
  ]) {
    const config = resolveConfig(env, options, () => undefined);
    const propagator = createPropagator(config);
    assert.doesNotThrow(() => inject(propagator), JSON.stringify({ env, options }));
  }
});
