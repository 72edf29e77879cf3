// The resource of a Lambda function's process, read from the environment (src/lambda/function-resource.ts),
// against what the OpenTelemetry Lambda, host and process detectors it replaces give in the same process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const { functionResourceAttributes } = require('../../../dist/lambda/function-resource.js');
const { createResource } = require('../../../dist/tracing/resource.js');
const { resolveConfig } = require('../../../dist/config/resolve-config.js');

const LAMBDA_ENV = {
  AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
  AWS_REGION: 'eu-west-1',
  AWS_LAMBDA_FUNCTION_NAME: 'orders',
  AWS_LAMBDA_FUNCTION_VERSION: '7',
  AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '512',
  AWS_LAMBDA_LOG_GROUP_NAME: '/aws/lambda/orders',
  AWS_LAMBDA_LOG_STREAM_NAME: '2026/11/29/[7]0123456789abcdef',
};

test('in Lambda, the resource is made without loading the AWS detector package', () => {
  const resource = createResource(
    resolveConfig(LAMBDA_ENV, {}, () => undefined),
    LAMBDA_ENV,
  );
  assert.equal(resource.attributes['faas.name'], 'orders');
  assert.equal(resource.attributes['service.name'], 'orders');
  const loaded = Object.keys(require.cache).filter((file) => file.includes('resource-detector-aws'));
  assert.deepEqual(loaded, []);
});

/** What resource.ts made of the package detectors: their attributes minus host.id, the command line and non-finite numbers. */
async function detectorAttributes(env) {
  const { awsLambdaDetector } = require('@opentelemetry/resource-detector-aws');
  const { hostDetector, processDetector } = require('@opentelemetry/resources');
  const saved = { ...process.env };
  for (const key of Object.keys(LAMBDA_ENV)) delete process.env[key];
  Object.assign(process.env, env);
  try {
    const attributes = {};
    for (const detector of [processDetector, hostDetector, awsLambdaDetector]) Object.assign(attributes, detector.detect().attributes);
    for (const key of ['host.id', 'process.command_args', 'process.command_line']) delete attributes[key];
    for (const [key, value] of Object.entries(attributes)) if (typeof value === 'number' && !Number.isFinite(value)) delete attributes[key];
    return attributes;
  } finally {
    for (const key of Object.keys(process.env)) if (!(key in saved)) delete process.env[key];
    Object.assign(process.env, saved);
  }
}

const CASES = [
  { name: 'a function as the runtime starts it', env: LAMBDA_ENV },
  { name: 'no log group or stream (SnapStart)', env: { ...LAMBDA_ENV, AWS_LAMBDA_LOG_GROUP_NAME: undefined, AWS_LAMBDA_LOG_STREAM_NAME: undefined } },
  { name: 'a malformed memory size', env: { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: 'lots' } },
  { name: 'no memory size', env: { ...LAMBDA_ENV, AWS_LAMBDA_FUNCTION_MEMORY_SIZE: undefined } },
  { name: 'no AWS_EXECUTION_ENV (not the Lambda runtime): no cloud or faas attributes', env: { ...LAMBDA_ENV, AWS_EXECUTION_ENV: undefined } },
];

for (const { name, env } of CASES) {
  test(`the same attributes as the detectors: ${name}`, async () => {
    const defined = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined));
    assert.deepEqual(functionResourceAttributes(defined), await detectorAttributes(defined));
  });
}
