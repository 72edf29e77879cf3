/**
 * Wraps the function's handler export as the runtime loads it: a CommonJS
 * handler file as Node runs it (Module._extensions, commonjs-handler.ts), on
 * every runtime; an ES module handler file through a load hook of our own
 * where Node has in-thread hooks (es-module-handler.ts), else through
 * import-in-the-middle, the only case that loads the OpenTelemetry
 * instrumentation base.
 * The runtime keeps loading the handler itself, so its own errors
 * (Runtime.ImportModuleError, Runtime.CallbackHandlerDeprecated...) are
 * exactly what they are without tracing.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type * as Instrumentation from '@opentelemetry/instrumentation';
import type { HandlerLocation } from './handler-file';
import { wrapCommonJsHandler } from './commonjs-handler';
import { hookEsModuleHandler } from './es-module-handler';
import { createHandlerWrapper, rehearseInvocation, type LambdaTracing } from './invocation';
import { DISTRIBUTION_VERSION, LAMBDA_SCOPE } from '../version';

interface LambdaHandlerConfig extends LambdaTracing {
  handler: HandlerLocation;
  /** The handler file is an ES module (isEsModuleFile), read once by the caller. */
  esModule: boolean;
}

type Exports = Record<string, unknown>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

/* eslint-disable @typescript-eslint/no-require-imports -- the instrumentation base is loaded for ES module handlers only */

/** Returns whether the ES module hook must include the handler file (an ES module handler our own load hook could not take). */
export function instrumentLambdaHandler(config: LambdaHandlerConfig, tracerProvider: TracerProvider): { hookHandlerFile: boolean } {
  const { handler, esModule, ...tracing } = config;
  const invocationTracing = { ...tracing, tracer: tracerProvider.getTracer(LAMBDA_SCOPE, DISTRIBUTION_VERSION) };
  const wrap = createHandlerWrapper(invocationTracing);
  rehearseInvocation(invocationTracing);
  if (!esModule) wrapCommonJsHandler(handler.file, handler.exportName, wrap);
  else if (!hookEsModuleHandler(handler, wrap)) {
    instrumentEsModuleHandler(handler, wrap, tracerProvider);
    return { hookHandlerFile: true };
  }
  return { hookHandlerFile: false };
}

function instrumentEsModuleHandler(handler: HandlerLocation, wrap: (original: AnyFunction) => AnyFunction, tracerProvider: TracerProvider): void {
  const { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped, registerInstrumentations } =
    require('@opentelemetry/instrumentation') as typeof Instrumentation;
  class LambdaHandlerInstrumentation extends InstrumentationBase {
    constructor() {
      super(LAMBDA_SCOPE, DISTRIBUTION_VERSION, {});
    }

    protected init(): Instrumentation.InstrumentationNodeModuleDefinition[] {
      const patch = (exports: Exports): Exports => {
        if (typeof exports?.[handler.exportName] !== 'function' || isWrapped(exports[handler.exportName])) return exports;
        this._wrap(exports, handler.exportName, (original: unknown) => wrap(original as AnyFunction));
        return exports;
      };
      const unpatch = (exports: Exports | undefined): void => {
        if (exports && isWrapped(exports[handler.exportName])) this._unwrap(exports, handler.exportName);
      };
      // Module hooks report an absolute file as its directory plus its base
      // name, so the definition is keyed by the path and the file by the name.
      return [new InstrumentationNodeModuleDefinition(handler.file, ['*'], undefined, undefined, [new InstrumentationNodeModuleFile(handler.moduleName, ['*'], patch, unpatch)])];
    }
  }
  registerInstrumentations({ instrumentations: [new LambdaHandlerInstrumentation()], tracerProvider });
}
