/**
 * Wires the instrumentation catalog to the process: the on-demand loader for
 * libraries, the first-fetch trigger for global fetch(), and the Lambda
 * handler wrapper where the process is a Lambda function.
 */
import { readFileSync, statSync } from 'node:fs';
import type { TracerProvider } from '@opentelemetry/api';
import type { ResolvedConfig } from '../config/resolved-config';
import { log } from '../config/diagnostics';
import { interceptFirstFetch } from '../loading/fetch-trigger';
import { INSTRUMENTATION_CATALOG, type InstrumentationName } from '../loading/instrumentation-catalog';
import { instrumentLambdaHandler } from '../lambda/handler-instrumentation';
import type { LambdaTracing } from '../lambda/invocation';
import { isEsModuleFile, locateHandler } from '../lambda/handler-file';
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
  /** The Lambda handler is an ES module file: the only handler the ES module hook is needed for (a CommonJS one is patched through Module._load). */
  esModuleHandler: boolean;
}

export function enableInstrumentations(config: ResolvedConfig, tracerProvider: TracerProvider, lambda: LambdaTracing): EnabledInstrumentations {
  const context: BuildContext = { logCorrelation: { service: config.service, env: config.env, version: config.version }, messaging: config.messaging };
  const loader = installOnDemandLoader({ enabled: config.instrumentations, eager: EAGER, build: (name) => BUILDERS[name](context), tracerProvider });
  if (config.instrumentations.has('undici')) interceptFirstFetch(() => loader.trigger('undici'));

  const modules = [...loader.modules];
  let esModuleHandler = false;
  if (config.instrumentations.has('aws-lambda') && config.lambda.functionName !== undefined) {
    const handler = locateHandler();
    if (handler === undefined) {
      log.warn('the Lambda handler file named by _HANDLER was not found under LAMBDA_TASK_ROOT; invocations are not traced');
    } else {
      try {
        const afterFirstInvocation = (): void => warnIfUnseenBundle(handler.file, config.instrumentations, loader.loaded);
        esModuleHandler = isEsModuleFile(handler.file);
        const { hookHandlerFile } = instrumentLambdaHandler({ handler, esModule: esModuleHandler, ...lambda, afterFirstInvocation }, tracerProvider);
        if (hookHandlerFile) modules.push(handler.file);
      } catch (error) {
        log.warn(`instrumentation aws-lambda could not be loaded (${String(error)}); invocations are not traced`);
      }
    }
  }
  return { modules, watchImports: () => loader.watchImports(), esModuleHandler };
}

// esbuild keeps the path of every module it inlines (`"node_modules/pg/lib/index.js"(exports, module)`), minified or not.
const MAX_READ_BYTES = 64 * 1024 * 1024;

/**
 * One warning when the handler is a bundle with libraries of the catalog
 * inside that tracing never saw (no require of them, no call from our esbuild
 * plugin): their calls make no spans, and the trace stops at the invocation.
 * Read once, after the first invocation has been answered.
 */
function warnIfUnseenBundle(file: string, enabled: ReadonlySet<InstrumentationName>, loaded: readonly InstrumentationName[]): void {
  if (statSync(file).size > MAX_READ_BYTES) return;
  const text = readFileSync(file, 'latin1');
  const unseen = new Set<string>();
  for (const name of enabled) {
    if (loaded.includes(name)) continue;
    for (const pkg of INSTRUMENTATION_CATALOG[name].triggers) if (text.includes(`node_modules/${pkg}/`)) unseen.add(pkg);
  }
  if (unseen.size === 0) return;
  log.warn(
    `the handler ${file} is a bundle with ${[...unseen].join(', ')} inside, which tracing cannot see there, so their calls make no spans: ` +
      'bundle with the otel-xray-datadog/esbuild plugin, or keep those libraries out of the bundle (CDK bundling.nodeModules, SAM External); see docs/bundling.md',
  );
}
