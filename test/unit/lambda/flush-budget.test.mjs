// The flush budget of one invocation (src/lambda/invocation.ts): half of the time the invocation has
// left, capped by OTEL_XRAY_DD_LAMBDA_FLUSH_TIMEOUT_MS; a context whose clock is missing or broken
// leaves the configured timeout.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { flushBudget } from '../../../dist/lambda/invocation.js';

const rows = [
  // [configured timeout, remaining() behaviour, budget]
  [1000, () => 30_000, 1000],
  [1000, () => 1500, 750],
  [1000, () => 1, 0],
  [1000, () => 0, 0],
  [1000, () => -5, 0],
  [0, () => 30_000, 0],
  [1000, () => undefined, 1000],
  [1000, () => Number.NaN, 1000],
  [1000, () => Infinity, 1000],
  [
    1000,
    () => {
      throw new Error('no clock');
    },
    1000,
  ],
];

for (const [timeout, remaining, expected] of rows) {
  test(`flush budget: timeout ${timeout} ms, remaining ${String(remaining).replace(/\s+/g, ' ').slice(6, 40)} -> ${expected} ms`, () => {
    assert.equal(flushBudget(timeout, remaining), expected);
  });
}
