export { start, type TracingHandle } from './start';
export type { StartOptions, TracingConfig, PropagatorName, InstrumentationName, LambdaParentPriority } from './config/resolved-config';
export { datadogTraceId } from './tracing/trace-ids';
