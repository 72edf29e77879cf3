/**
 * Patches the function's handler export as the runtime loads it: through the
 * require hook (CommonJS handlers on nodejs20.x/22.x), Module._load
 * (CommonJS handlers that nodejs24.x imports) or the ES module hook (ES
 * module handlers).
 * The runtime keeps loading the handler itself, so its own errors
 * (Runtime.ImportModuleError, Runtime.CallbackHandlerDeprecated...) are
 * exactly what they are without tracing.
 */
import { InstrumentationBase, InstrumentationNodeModuleDefinition, InstrumentationNodeModuleFile, isWrapped } from '@opentelemetry/instrumentation';
import { runtimeImportsHandlers, type HandlerLocation } from './handler-file';
import { patchOnCommonJsLoad } from './imported-commonjs-handler';
import { createHandlerWrapper, type LambdaTracing } from './invocation';
import { DISTRIBUTION_VERSION, LAMBDA_SCOPE } from '../version';

interface LambdaHandlerConfig extends LambdaTracing {
  handler: HandlerLocation;
  /** The handler file is an ES module (isEsModuleFile), read once by the caller. */
  esModule: boolean;
}

type Exports = Record<string, unknown>;
type AnyFunction = (this: unknown, ...args: unknown[]) => unknown;

export function createLambdaHandlerInstrumentation(config: LambdaHandlerConfig): InstrumentationBase {
  const { handler, esModule, ...tracing } = config;
  // Imported by the runtime (nodejs24.x) but CommonJS: seen by Module._load, not by require() or the ES module hook.
  const importedCommonJs = !esModule && runtimeImportsHandlers();
  // A class per call because the base constructor calls init(), before any
  // field of a subclass could hold the configuration.
  class LambdaHandlerInstrumentation extends InstrumentationBase {
    constructor() {
      super(LAMBDA_SCOPE, DISTRIBUTION_VERSION, {});
    }

    protected init(): InstrumentationNodeModuleDefinition[] {
      const patch = (exports: Exports): Exports => {
        if (typeof exports?.[handler.exportName] !== 'function' || isWrapped(exports[handler.exportName])) return exports;
        const wrap = createHandlerWrapper({ ...tracing, tracer: this.tracer });
        this._wrap(exports, handler.exportName, (original: unknown) => wrap(original as AnyFunction));
        return exports;
      };
      const unpatch = (exports: Exports | undefined): void => {
        if (exports && isWrapped(exports[handler.exportName])) this._unwrap(exports, handler.exportName);
      };
      if (importedCommonJs) patchOnCommonJsLoad(handler.file, patch);
      // Module hooks report an absolute file as its directory plus its base
      // name, so the definition is keyed by the path and the file by the name.
      return [new InstrumentationNodeModuleDefinition(handler.file, ['*'], undefined, undefined, [new InstrumentationNodeModuleFile(handler.moduleName, ['*'], patch, unpatch)])];
    }
  }
  return new LambdaHandlerInstrumentation();
}
