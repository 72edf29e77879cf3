// The host app of the throughput comparison: a small JSON endpoint.
const http = require('node:http');
const server = http.createServer((req, res) => {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end('{"ok":true}');
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
