export { start, type TracingHandle } from './start';
export type { StartOptions, TracingConfig, PropagatorName, InstrumentationName, LambdaParentPriority } from './config';
export { datadogTraceId } from './trace-ids';
