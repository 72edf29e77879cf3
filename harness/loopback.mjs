/**
 * Listens on 127.0.0.1 (`port` 0: a free one), as every double and server of
 * the harness does; resolves { port, url, close() }. close() also ends
 * keep-alive connections, so that it resolves at once.
 */
export async function listenOnLoopback(server, port = 0) {
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const listening = server.address().port;
  return {
    port: listening,
    url: `http://127.0.0.1:${listening}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
