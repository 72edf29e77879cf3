// The "orders" Lambda function: an ordinary async handler.
exports.handler = async (event) => {
  const body = { orderId: Math.floor(Math.random() * 1e6), path: event.rawPath };
  await new Promise((r) => setTimeout(r, 15)); // pretend to work
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) };
};
