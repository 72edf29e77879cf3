// Serves the Lambda handler named by _HANDLER over HTTP the way a Lambda
// function URL does: each request becomes a payload-2.0 event and an
// invocation. The handler is loaded with require after the preload, so
// the Lambda handler wrapper of otel-xray-datadog wraps it as it would in Lambda.
const http = require('node:http');
const path = require('node:path');

const [file, exportName] = process.env._HANDLER.split('.');
const handler = require(path.join(process.env.LAMBDA_TASK_ROOT, file))[exportName];
let n = 0;

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://function-url');
  const event = {
    version: '2.0',
    rawPath: url.pathname,
    rawQueryString: url.search.slice(1),
    headers: req.headers,
    requestContext: { http: { method: req.method, path: url.pathname }, stage: '$default' },
  };
  const deadline = Date.now() + 3000;
  const context = {
    awsRequestId: `demo-${++n}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  Promise.resolve(handler(event, context)).then(
    (result) => {
      res.writeHead(result.statusCode, result.headers);
      res.end(result.body);
    },
    (error) => {
      res.writeHead(502);
      res.end(String(error));
    },
  );
});
server.listen(0, '127.0.0.1', () => console.log(`listening on ${server.address().port}`));
