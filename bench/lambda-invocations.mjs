// Child of bench/run.mjs: invokes a trivial async handler N times the way the Lambda runtime
// does (the handler module is loaded with require, so the preload can wrap it) and prints the
// per-invocation durations in ms.
import { createRequire } from 'node:module';
import path from 'node:path';

const require = createRequire(path.join(process.env.LAMBDA_TASK_ROOT, 'noop.js'));
const handler = require(path.join(process.env.LAMBDA_TASK_ROOT, 'index.js')).handler;
const N = Number(process.argv[2] ?? 300);
const durations = [];
for (let i = 0; i < N; i++) {
  process.env._X_AMZN_TRACE_ID = `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${(i + 1).toString(16).padStart(24, '0')};Parent=53995c3f42cd8ad8;Sampled=1`;
  const deadline = Date.now() + 3000;
  const context = {
    awsRequestId: `r${i}`,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bench',
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };
  const t0 = process.hrtime.bigint();
  await handler({}, context);
  durations.push(Number(process.hrtime.bigint() - t0) / 1e6);
}
console.log(JSON.stringify({ durations: durations.slice(20) })); // first 20 warm up
process.exit(0);
