// Kept in step with package.json by test/package.test.mjs.
export const DISTRIBUTION_NAME = 'otel-xray-datadog';
export const DISTRIBUTION_VERSION = '0.1.0';
/** The instrumentation scope of the Lambda invocation spans. */
export const LAMBDA_SCOPE = `${DISTRIBUTION_NAME}/aws-lambda`;
