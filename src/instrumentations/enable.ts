/**
 * Wires the instrumentation catalog to the process: the on-demand loader for
 * libraries, the first-fetch trigger for global fetch(), and the Lambda
 * handler wrapper where the process is a Lambda function.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import type { ResolvedConfig } from '../config/resolved-config';
import { log } from '../config/diagnostics';
import { interceptFirstFetch } from '../loading/fetch-trigger';
import type { InstrumentationName } from '../loading/instrumentation-catalog';
import { createLambdaHandlerInstrumentation } from '../lambda/handler-instrumentation';
import type { LambdaTracing } from '../lambda/invocation';
import { locateHandler } from '../lambda/handler-file';
import { installOnDemandLoader } from '../loading/on-demand-loader';
import { BUILDERS, type BuildContext } from './builders';

// Nothing is built at start-up, not even http: a require of http triggers it,
// and so does an ES module import of node:http where the loader hook is on.
const EAGER: readonly InstrumentationName[] = [];

export interface EnabledInstrumentations {
  /** What the ES module hook must include: package names, and the Lambda handler's absolute path. */
  modules: string[];
  /** Lets ES module imports trigger instrumentations; call after registering the hook. */
  watchImports(): void;
}

export function enableInstrumentations(config: ResolvedConfig, tracerProvider: TracerProvider, lambda: LambdaTracing): EnabledInstrumentations {
  const context: BuildContext = { logCorrelation: { service: config.service, env: config.env, version: config.version }, messaging: config.messaging };
  const loader = installOnDemandLoader({ enabled: config.instrumentations, eager: EAGER, build: (name) => BUILDERS[name](context), tracerProvider });
  if (config.instrumentations.has('undici')) interceptFirstFetch(() => loader.trigger('undici'));

  const modules = [...loader.modules];
  if (config.instrumentations.has('aws-lambda') && config.lambda.functionName !== undefined) {
    const handler = locateHandler();
    if (handler === undefined) {
      log.warn('the Lambda handler file named by _HANDLER was not found under LAMBDA_TASK_ROOT; invocations are not traced');
    } else {
      try {
        registerInstrumentations({ instrumentations: [createLambdaHandlerInstrumentation({ handler, ...lambda })], tracerProvider });
        modules.push(handler.file);
      } catch (error) {
        log.warn(`instrumentation aws-lambda could not be loaded (${String(error)}); invocations are not traced`);
      }
    }
  }
  return { modules, watchImports: () => loader.watchImports() };
}
