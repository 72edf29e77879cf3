// The host preload's deferred start (src/loading/deferred-start.ts), in-process: nothing starts until
// the first require of a trigger module or the first tracer the app uses, and then exactly once; the
// triggering require returns the module.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { trace } from '@opentelemetry/api';
import { deferStart, DEFERRED_PROVIDER_KEY } from '../../../dist/loading/deferred-start.js';
import { resolveConfig } from '../../../dist/config/resolve-config.js';

const require = createRequire(import.meta.url);

test('a require of a library that is not a trigger starts nothing; the first trigger require starts once', () => {
  const config = resolveConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'http,pg' }, {}, () => undefined);
  let started = 0;
  deferStart(config, () => started++);
  try {
    require('node:path');
    require('node:zlib');
    assert.equal(started, 0);
    const http = require('node:http');
    assert.equal(typeof http.createServer, 'function', 'the triggering require returns the module');
    assert.equal(started, 1);
    require('node:https');
    assert.equal(started, 1, 'once');
  } finally {
    trace.disable();
    delete globalThis[DEFERRED_PROVIDER_KEY];
  }
});

test('the first tracer the app uses starts tracing; a stand-in that is still deferred gives a no-op span', () => {
  const config = resolveConfig({ OTEL_NODE_ENABLED_INSTRUMENTATIONS: 'pg' }, {}, () => undefined);
  let started = 0;
  deferStart(config, () => started++);
  try {
    assert.equal(globalThis[DEFERRED_PROVIDER_KEY] !== undefined, true, 'the API global is our stand-in');
    const tracer = trace.getTracer('app');
    assert.equal(started, 0, 'asking for a tracer is not using it');
    const span = tracer.startSpan('work');
    assert.equal(started, 1);
    assert.equal(span.isRecording(), false, 'startNow did not install a provider here: a no-op span, never a loop');
    span.end();
  } finally {
    trace.disable();
    delete globalThis[DEFERRED_PROVIDER_KEY];
  }
});
