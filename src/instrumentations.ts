/**
 * Loads only the instrumentations that are enabled and that apply here, so
 * start-up does not pay for packages that will never patch anything.
 */
import type { TracerProvider } from '@opentelemetry/api';
import { registerInstrumentations, type Instrumentation } from '@opentelemetry/instrumentation';
import type { ResolvedConfig } from './config';
import { log } from './diagnostics';
import { createLambdaInstrumentation, type LambdaHooks } from './lambda-invocation';

/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading is the point of this module */

export function enableInstrumentations(
  config: ResolvedConfig,
  tracerProvider: TracerProvider,
  lambdaHooks: LambdaHooks,
): void {
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
  registerInstrumentations({ instrumentations, tracerProvider });

  // The Lambda handler wrapper flushes through a time-bounded view of the
  // provider, so it gets its own registration.
  if (config.instrumentations.has('aws-lambda') && config.lambda.functionName !== undefined) {
    try {
      const lambda = createLambdaInstrumentation(config, lambdaHooks);
      registerInstrumentations({ instrumentations: [lambda], tracerProvider: lambdaHooks.flushBoundedProvider });
    } catch (error) {
      log.warn(`instrumentation aws-lambda could not be loaded (${String(error)}); invocations are not traced`);
    }
  }
}
