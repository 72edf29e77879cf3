// Kept in step with package.json by test/package.test.mjs.
export const DISTRIBUTION_NAME = 'otel-xray-datadog';
export const DISTRIBUTION_VERSION = '0.1.0';
