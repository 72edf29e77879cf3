// otel-xray-datadog/esbuild: see bundling/esbuild-plugin.ts and docs/bundling.md.
export { otelXrayDatadogPlugin } from './bundling/esbuild-plugin';
