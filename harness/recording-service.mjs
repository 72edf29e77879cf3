import http from 'node:http';
import { listenOnLoopback } from './loopback.mjs';

/**
 * An untraced downstream service on 127.0.0.1 that records every request it is
 * sent (URL and headers, to check what the traced app propagated) and answers
 * `{"downstream":true,"path":<url>}`.
 */
export async function startRecordingService() {
  const requests = [];
  const server = http.createServer((req, res) => {
    requests.push({ url: req.url, headers: req.headers });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ downstream: true, path: req.url }));
  });
  const listening = await listenOnLoopback(server);
  return {
    requests,
    url: (pathname) => `${listening.url}${pathname}`,
    close: listening.close,
  };
}
