// Global fetch() never passes a module loader (src/loading/fetch-trigger.ts): the first call triggers
// once, the original property comes back, and Node's lazy getter (which loads undici) is not read
// by installing the trigger.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { interceptFirstFetch } from '../../../dist/loading/fetch-trigger.js';

test('the first fetch() call triggers once and goes out; later calls are the original fetch', async (t) => {
  const server = http.createServer((req, res) => res.end('ok'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  const original = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  let triggered = 0;
  const stop = interceptFirstFetch(() => triggered++);
  assert.notDeepEqual(Object.getOwnPropertyDescriptor(globalThis, 'fetch'), original, 'intercepted');
  const url = `http://127.0.0.1:${server.address().port}/`;
  assert.equal(await (await fetch(url)).text(), 'ok');
  assert.equal(triggered, 1);
  assert.deepEqual(Object.getOwnPropertyDescriptor(globalThis, 'fetch'), original, 'the original property is back');
  assert.equal(await (await fetch(url)).text(), 'ok');
  assert.equal(triggered, 1, 'only the first call triggers');
  stop();
});

test('a trigger that throws never stands between the app and its request', async (t) => {
  const server = http.createServer((req, res) => res.end('fine'));
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => server.close());
  interceptFirstFetch(() => {
    throw new Error('tracing bug');
  });
  assert.equal(await (await fetch(`http://127.0.0.1:${server.address().port}/`)).text(), 'fine');
});

test('an app that assigns its own fetch keeps it; the interception is undone without a trigger', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  let triggered = 0;
  interceptFirstFetch(() => triggered++);
  const mine = async () => 'mine';
  globalThis.fetch = mine;
  assert.equal(globalThis.fetch, mine);
  assert.equal(triggered, 0);
  Object.defineProperty(globalThis, 'fetch', original);
});

test('stop() before any call restores the original property untouched', () => {
  const original = Object.getOwnPropertyDescriptor(globalThis, 'fetch');
  let triggered = 0;
  const stop = interceptFirstFetch(() => triggered++);
  stop();
  assert.deepEqual(Object.getOwnPropertyDescriptor(globalThis, 'fetch'), original);
  assert.equal(triggered, 0);
});
