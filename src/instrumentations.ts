/**
 * Loads only the instrumentations that are enabled and that apply here, so
 * start-up does not pay for packages that will never patch anything.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import type { ResolvedConfig } from './config';
import { log } from './diagnostics';
import { createLambdaHandlerInstrumentation } from './lambda-handler';
import { locateHandler } from './lambda-handler-file';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point of this module */

export interface LambdaTracing {
  parentPriority: ResolvedConfig['lambda']['parentPriority'];
  flushTimeoutMs: number;
  flushAll(): Promise<void>;
}

/**
 * Enables what applies and returns the modules the instrumentations hook
 * (package names and, for the Lambda handler, its absolute path): the ES
 * module loader hook is registered for exactly those.
 */
export function enableInstrumentations(config: ResolvedConfig, tracerProvider: TracerProvider, lambda: LambdaTracing): string[] {
  const instrumentations: Instrumentation[] = [];
  const load = (name: string, create: () => Instrumentation): void => {
    try {
      instrumentations.push(create());
    } catch (error) {
      log.warn(`instrumentation ${name} could not be loaded (${String(error)}); continuing without it`);
    }
  };

  if (config.instrumentations.has('http')) {
    load('http', () => {
      const { HttpInstrumentation } = require('@opentelemetry/instrumentation-http') as typeof import('@opentelemetry/instrumentation-http');
      return new HttpInstrumentation();
    });
  }
  if (config.instrumentations.has('aws-sdk')) {
    load('aws-sdk', () => {
      const { AwsInstrumentation } = require('@opentelemetry/instrumentation-aws-sdk') as typeof import('@opentelemetry/instrumentation-aws-sdk');
      return new AwsInstrumentation({ suppressInternalInstrumentation: true });
    });
  }
  if (config.instrumentations.has('aws-lambda') && config.lambda.functionName !== undefined) {
    const handler = locateHandler();
    if (handler === undefined) {
      log.warn('the Lambda handler file named by _HANDLER was not found under LAMBDA_TASK_ROOT; invocations are not traced');
    } else {
      load('aws-lambda', () => createLambdaHandlerInstrumentation({ handler, ...lambda }));
    }
  }
  registerInstrumentations({ instrumentations, tracerProvider });
  return instrumentations.flatMap(hookedModules);
}

function hookedModules(instrumentation: Instrumentation): string[] {
  const definitions = (instrumentation as { getModuleDefinitions?: () => Array<{ name: string }> }).getModuleDefinitions?.() ?? [];
  return definitions.map((definition) => definition.name);
}
