// A traced process that makes spans on command, through the real SDK (run it with
// `--require dist/register.js`). Commands arrive as JSON lines on stdin:
//   {"cmd":"send","run":"steady","count":1000,"rate":500,"ids":false}
//     -> `count` root SERVER spans at `rate` per second, each its own trace, named and
//        routed `GET /load/<run>` (Datadog resource), with `load.run` and `load.seq`;
//        answers {"done":"<run>","count":N,"ms":..,"ids":[[seq,traceId,spanId],...]}
//   {"cmd":"flush"} -> forceFlush; answers {"flushed":true}
// SIGTERM ends it the way the SDK ends any app (pending spans flushed, losses reported).
const readline = require('node:readline');
const { trace, SpanKind } = require('@opentelemetry/api');

const tracer = trace.getTracer('span-load');
const reply = (msg) => process.stdout.write(`${JSON.stringify(msg)}\n`);

function send({ run, count, rate, ids }) {
  return new Promise((resolve) => {
    const started = Date.now();
    const made = [];
    let seq = 0;
    const tick = () => {
      const due = Math.min(count, Math.ceil(((Date.now() - started) / 1000) * rate));
      while (seq < due) {
        const span = tracer.startSpan(`GET /load/${run}`, {
          kind: SpanKind.SERVER,
          attributes: {
            'http.request.method': 'GET',
            'http.route': `/load/${run}`,
            'url.path': `/load/${run}`,
            'http.response.status_code': 200,
            'load.run': run,
            'load.seq': seq,
          },
        });
        span.end();
        if (ids) made.push([seq, span.spanContext().traceId, span.spanContext().spanId]);
        seq++;
      }
      if (seq >= count) {
        clearInterval(timer);
        resolve({ done: run, count, ms: Date.now() - started, ...(ids ? { ids: made } : {}) });
      }
    };
    const timer = setInterval(tick, 10);
    tick();
  });
}

let queue = Promise.resolve();
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  const command = JSON.parse(line);
  queue = queue.then(async () => {
    if (command.cmd === 'send') reply(await send(command));
    else if (command.cmd === 'flush') {
      const provider = trace.getTracerProvider();
      const delegate = typeof provider.getDelegate === 'function' ? provider.getDelegate() : provider;
      await delegate.forceFlush?.();
      reply({ flushed: true });
    }
  });
});
// stdin stays open while the test drives it; keep running until SIGTERM.
setInterval(() => {}, 60_000);
reply({ ready: true, pid: process.pid });
