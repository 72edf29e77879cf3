// A dead, hung or slow OTLP receiver under AWS's runtime client, through the layer (issue: "a dead
// collector adds a second to every invocation"): the first invocation may pay for finding out, the
// ones after it cost what they cost with a healthy receiver; spans of the bad period are held and
// delivered when the receiver is back; what the bound drops is counted; one warning names the fix.
// The latency bounds are deliberately loose (this machine is noisy): they separate "does not wait"
// from the 300-1000 ms the receiver used to cost each invocation.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { startOtlpReceiver } from '../harness/otlp-receiver.mjs';
import { fixtures } from '../harness/processes.mjs';
import { prepareRuntime, ricCombos, startSandbox, unpackLayer } from '../harness/lambda-sandbox.mjs';
import { waitUntil } from '../harness/wait.mjs';

// nodejs20.x, nodejs22.x and nodejs24.x; Managed Instances keep per-invocation budgets (tested elsewhere).
const combos = ricCombos().filter(([node, ric]) => !(node === 22 && ric === 4));
const INVOCATIONS = 7;
const TOLERANCE_MS = 40;
/** Longer than the longest backoff between attempts (30 s). */
const BACKOFF_WAIT_MS = 35_000;

let opt;
let healthy;
const sockets = new Set();
let hung;
before(async () => {
  opt = unpackLayer();
  healthy = await startOtlpReceiver();
  // Accepts connections and never answers.
  hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => hung.listen(0, '127.0.0.1', resolve));
});
after(async () => {
  await healthy?.close();
  for (const socket of sockets) socket.destroy();
  hung?.close();
  if (opt) fs.rmSync(opt, { recursive: true, force: true });
});

async function freePort() {
  const server = net.createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const warnings = (sb) =>
  sb
    .output()
    .stderr.split('\n')
    .filter((l) => l.includes('otel-xray-datadog:'));

for (const [nodeMajor, ricMajor] of combos) {
  describe(`Node ${nodeMajor} + aws-lambda-ric ${ricMajor}.x: a broken receiver costs one invocation, not each`, () => {
    before(() => prepareRuntime(nodeMajor, ricMajor));

    async function sandbox(t, { fn, endpoint, layer = true, env = {} }) {
      const sb = await startSandbox({
        nodeMajor,
        ricMajor,
        taskRoot: path.join(fixtures, 'lambda', 'cjs'),
        handler: 'index.handler',
        functionName: fn,
        execWrapper: layer ? path.join(opt, 'otel-xray-datadog-handler') : undefined,
        env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, ...env },
      });
      t.after(() => sb.stop());
      return sb;
    }

    /** Round trip of each invocation inside the runtime (delivery of the event to the response). */
    async function invokeTimes(sb, count) {
      const times = [];
      for (let i = 0; i < count; i++) {
        const r = await sb.invoke({ event: { n: i } });
        assert.equal(r.ok, true, `invocation ${i + 1}: ${JSON.stringify(r)}\n${sb.output().stderr}`);
        times.push(r.respondedAt - r.deliveredAt);
      }
      return times;
    }

    it('refused, hung and slow receivers: warm invocations cost what they cost with a healthy one; one warning names the fix', async (t) => {
      const fn = `faults-${nodeMajor}-${ricMajor}`;
      const untraced = await invokeTimes(await sandbox(t, { fn: `${fn}-untraced`, endpoint: healthy.url, layer: false }), INVOCATIONS);
      const healthySb = await sandbox(t, { fn: `${fn}-healthy`, endpoint: healthy.url });
      const healthyWarm = median((await invokeTimes(healthySb, INVOCATIONS)).slice(1));
      assert.deepEqual(warnings(healthySb), []);

      const slow = await startOtlpReceiver({ behaviour: { status: 200, delayMs: 300 } });
      t.after(() => slow.close());
      const cases = [
        {
          name: 'refused',
          endpoint: `http://127.0.0.1:${await freePort()}`,
          warning:
            /failed \(ECONNREFUSED\): nothing answers there\. If the function sends to the Datadog Lambda Extension, its OTLP receiver is off unless DD_OTLP_CONFIG_RECEIVER_PROTOCOLS_HTTP_ENDPOINT=localhost:4318/,
        },
        { name: 'hung', endpoint: `http://127.0.0.1:${hung.address().port}`, warning: /has 4 requests waiting for an answer: the receiver hangs or is slower than the spans come/ },
        { name: 'slow', endpoint: slow.url, warning: /has 4 requests waiting for an answer: the receiver hangs or is slower than the spans come/ },
      ];
      const report = { untracedWarm: median(untraced.slice(1)), healthyWarm };
      for (const c of cases) {
        const sb = await sandbox(t, { fn: `${fn}-${c.name}`, endpoint: c.endpoint });
        const times = await invokeTimes(sb, INVOCATIONS);
        const warm = median(times.slice(1));
        report[c.name] = { first: times[0], warm, all: times };
        assert.ok(warm <= healthyWarm + TOLERANCE_MS, `${c.name}: warm invocations ${times.slice(1).join(', ')} ms against ${healthyWarm} ms with a healthy receiver`);
        const lines = warnings(sb);
        assert.equal(lines.length, 1, `${c.name}: one warning per sandbox:\n${lines.join('\n')}`);
        assert.match(lines[0], c.warning);
      }
      // The slow receiver still gets every span, sent in the background.
      await waitUntil(() => slow.spans.filter((s) => s.resource['faas.name'] === `${fn}-slow`).length === INVOCATIONS, {
        timeoutMs: 15_000,
        what: `${INVOCATIONS} spans at the slow receiver`,
      });
      t.diagnostic(JSON.stringify(report));
    });

    it('a receiver that comes back: every span held meanwhile arrives, and the recovery line counts them', async (t) => {
      const fn = `recovers-${nodeMajor}-${ricMajor}`;
      const port = await freePort();
      const sb = await sandbox(t, { fn, endpoint: `http://127.0.0.1:${port}` });
      await invokeTimes(sb, 4);
      const receiver = await startOtlpReceiver({ port });
      t.after(() => receiver.close());
      const ours = () => receiver.spans.filter((s) => s.resource['faas.name'] === fn);
      // The next attempt comes after the backoff, which grows with each failed one: up to 16 s when a loaded machine made the invocations slow.
      await waitUntil(() => ours().length === 4, { timeoutMs: BACKOFF_WAIT_MS, what: 'the 4 held spans', seen: () => sb.output().stderr });
      await invokeTimes(sb, 2);
      await waitUntil(() => ours().length === 6, { timeoutMs: 5_000, what: '6 spans' });
      assert.equal(new Set(ours().map((s) => s.attributes['faas.invocation_id'])).size, 6, 'each invocation once');
      const lines = warnings(sb);
      assert.equal(lines.length, 2, lines.join('\n'));
      assert.match(lines[1], /recovered after \d+ s; 4 held span\(s\) are being sent, 0 span\(s\) were lost while it failed/);
    });

    it('the held spans are bounded: the oldest are dropped and counted once', async (t) => {
      const fn = `bounded-${nodeMajor}-${ricMajor}`;
      const port = await freePort();
      const sb = await sandbox(t, { fn, endpoint: `http://127.0.0.1:${port}`, env: { OTEL_XRAY_DD_EXPORT_HELD_SPANS: '2' } });
      const results = [];
      for (let i = 0; i < 5; i++) results.push(await sb.invoke({ event: { n: i } }));
      const receiver = await startOtlpReceiver({ port });
      t.after(() => receiver.close());
      const ours = () => receiver.spans.filter((s) => s.resource['faas.name'] === fn);
      await waitUntil(() => ours().length === 2, { timeoutMs: BACKOFF_WAIT_MS, what: 'the 2 spans the bound kept', seen: () => sb.output().stderr });
      assert.deepEqual(
        ours()
          .map((s) => s.attributes['faas.invocation_id'])
          .sort(),
        results
          .slice(3)
          .map((r) => r.requestId)
          .sort(),
        'the newest two were kept',
      );
      // The line follows the receiver's answer, which reaches the sandbox after the receiver has the spans.
      await waitUntil(() => warnings(sb).some((l) => l.includes('recovered after')), { timeoutMs: 5_000, what: 'the recovery line', seen: () => sb.output().stderr });
      assert.match(warnings(sb).at(-1), /recovered after \d+ s; 2 held span\(s\) are being sent, 3 span\(s\) were lost while it failed \(dropped by the bound of 2\)/);
    });
  });
}
