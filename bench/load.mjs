// Child of bench/run.mjs: a closed-loop HTTP load generator (keep-alive, fixed concurrency,
// fixed duration) against 127.0.0.1. Prints {requests, seconds, rps}.
import http from 'node:http';

const [port, concurrency = '16', seconds = '4'] = process.argv.slice(2);
const agent = new http.Agent({ keepAlive: true, maxSockets: Number(concurrency) });
const end = Date.now() + Number(seconds) * 1000;
let requests = 0;
const worker = () =>
  new Promise((resolve) => {
    const next = () => {
      if (Date.now() >= end) return resolve();
      http
        .get({ host: '127.0.0.1', port, path: '/', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            requests++;
            next();
          });
        })
        .on('error', () => next());
    };
    next();
  });
const started = Date.now();
await Promise.all(Array.from({ length: Number(concurrency) }, worker));
const elapsed = (Date.now() - started) / 1000;
console.log(JSON.stringify({ requests, seconds: elapsed, rps: requests / elapsed }));
agent.destroy();
