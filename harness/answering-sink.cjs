// A trace receiver in a process of its own that answers every request at once and keeps nothing:
// for benchmarks, where decoding what arrives in the benchmark's own process would delay the
// Runtime API server beside it, and so the invocations being timed. OTLP/HTTP gets an empty
// ExportTraceServiceResponse (protobuf, 0 bytes); Datadog's trace endpoint gets the Agent's answer.
'use strict';
const http = require('node:http');

const server = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => {
    if (req.url.startsWith('/v1/traces')) {
      res.writeHead(200, { 'content-type': 'application/x-protobuf', 'content-length': '0' });
      res.end();
    } else if (/^\/v0\.[45]\/traces/.test(req.url)) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"rate_by_service":{}}');
    } else {
      res.writeHead(req.url.startsWith('/info') ? 404 : 200, { 'content-type': 'application/json' });
      res.end('{}');
    }
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
