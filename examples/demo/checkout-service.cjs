// A host service: GET /checkout calls the orders function over HTTP.
const http = require('node:http');

const ordersUrl = process.env.ORDERS_URL;
const server = http.createServer((req, res) => {
  http
    .get(`${ordersUrl}/orders`, (ores) => {
      let body = '';
      ores.on('data', (c) => (body += c));
      ores.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ checkout: 'ok', order: JSON.parse(body) }));
      });
    })
    .on('error', (e) => {
      res.writeHead(502);
      res.end(String(e));
    });
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
