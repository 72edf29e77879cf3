/**
 * Builds an instrumentation only when the application first loads one of its
 * trigger modules, just before that module's code runs, so the
 * instrumentation's own require-/import-in-the-middle hook patches it as if it
 * had been there from the start. Instrumentations of libraries the app never
 * loads are never loaded.
 *
 * - CommonJS: one wrapper around Module._load sees every bare require, also
 *   the CommonJS files behind an ES module import. The shared require hook
 *   (the instrumentation package's, on require-hook.ts) checks its
 *   registrations after the module has loaded, so one registered during the
 *   load still applies.
 * - ES modules (when the loader hook is registered): an import-in-the-middle
 *   hook sees each included module; it runs its hooks in a loop that skips
 *   hooks added during the loop, so the ones a trigger adds are replayed.
 */
import type { TracerProvider } from '@opentelemetry/api';
import type * as InstrumentationApi from '@opentelemetry/instrumentation';
import type { Instrumentation } from '@opentelemetry/instrumentation';
// The instrumentation package's own require hook, without the rest of the package (see installOnDemandLoader).
import { RequireInTheMiddleSingleton } from '@opentelemetry/instrumentation/build/src/platform/node/RequireInTheMiddleSingleton';
import { log } from '../config/diagnostics';
import { patchBundledModule, patchLoadedBuiltin } from '../instrumentations/bundled-patch';
import { readPackageVersionsOnce } from '../instrumentations/package-versions';
import { setBundledModuleHook, type BundledModuleHook } from './bundled-modules';
import { onFirstMessage, setChannelTrigger, subscriptionsOf } from './channel-triggers';
import { INSTRUMENTATION_CATALOG, type InstrumentationName } from './instrumentation-catalog';
import { packageOfPath, packageOfRequest, packageOfUrl } from './package-names';

/* eslint-disable @typescript-eslint/no-require-imports -- Module._load is reached through require('node:module'); the instrumentation package and import-in-the-middle only when first needed */

type ModuleLoad = (request: unknown, parent: unknown, isMain: boolean) => unknown;
type ImportHook = (url: string, namespace: unknown, specifier: string, format?: string) => void;

export interface OnDemandOptions {
  enabled: ReadonlySet<InstrumentationName>;
  /** Built at start-up rather than on demand. */
  eager: readonly InstrumentationName[];
  /** Builds one instrumentation (instrumentations/builders.ts); may throw. */
  build(name: InstrumentationName): Instrumentation;
  tracerProvider: TracerProvider;
}

export interface OnDemandLoader {
  /** Every module a trigger or an eager instrumentation hooks: the ES module hook's include list. */
  readonly modules: string[];
  /** Builds the instrumentation `trigger` belongs to, if still pending (global fetch uses this). */
  trigger(trigger: string): void;
  /** Names built so far, in order. */
  readonly loaded: InstrumentationName[];
  /** Makes ES module imports of pending modules trigger too; call once the loader hook is registered. */
  watchImports(): void;
}

export function installOnDemandLoader(options: OnDemandOptions): OnDemandLoader {
  const pending = new Map<string, InstrumentationName>();
  const owners = new Map<string, InstrumentationName>();
  const loaded: InstrumentationName[] = [];
  const modules: string[] = [];
  for (const name of options.enabled) {
    for (const trigger of INSTRUMENTATION_CATALOG[name].triggers) {
      if (!options.eager.includes(name)) pending.set(trigger, name);
      owners.set(trigger, name);
      modules.push(trigger);
    }
  }

  const built = new Map<InstrumentationName, Instrumentation>();
  const build = (name: InstrumentationName): void => {
    for (const trigger of INSTRUMENTATION_CATALOG[name].triggers) pending.delete(trigger);
    try {
      const { InstrumentationBase, registerInstrumentations } = require('@opentelemetry/instrumentation') as typeof InstrumentationApi;
      readPackageVersionsOnce(InstrumentationBase);
      const instrumentation = options.build(name);
      registerInstrumentations({ instrumentations: [instrumentation], tracerProvider: options.tracerProvider });
      built.set(name, instrumentation);
      loaded.push(name);
    } catch (error) {
      log.warn(`instrumentation ${name} could not be loaded (${String(error)}); continuing without it`);
    }
  };

  // The shared require hook must exist before the first
  // trigger: it wraps require(), so a require already under way when it is
  // created is missed. Only the hook is created here; the instrumentation
  // package (and import-in-the-middle with it) loads with the first
  // instrumentation a trigger builds, which a function that requires no
  // instrumented library never pays for.
  RequireInTheMiddleSingleton.getInstance();
  for (const name of options.eager) if (options.enabled.has(name)) build(name);
  warnAboutModulesLoadedEarlier(pending);

  const trigger = (name: string): void => {
    const instrumentation = pending.get(name);
    if (instrumentation !== undefined) build(instrumentation);
  };
  const patchLoaded = (trigger: string, exports: unknown): void => {
    const instrumentation = built.get(owners.get(trigger) as InstrumentationName);
    if (instrumentation !== undefined) patchLoadedBuiltin(instrumentation, trigger, exports);
  };
  if (pending.size > 0) watchRequires(pending, trigger, requesterRule(pending), patchLoaded);
  setBundledModuleHook(bundledModulePatcher(options.enabled, trigger, built));
  watchChannels(options.enabled, pending, trigger);

  let watching = false;
  return {
    modules,
    loaded,
    trigger,
    watchImports() {
      if (watching || pending.size === 0) return;
      watching = true;
      watchImports(pending, trigger);
    },
  };
}

/** Libraries inlined into a bundle (bundled-modules.ts): the call from the plugin's code triggers, then patches. */
function bundledModulePatcher(
  enabled: ReadonlySet<InstrumentationName>,
  trigger: (name: string) => void,
  built: ReadonlyMap<InstrumentationName, Instrumentation>,
): BundledModuleHook {
  const byPackage = new Map<string, InstrumentationName>();
  for (const name of enabled) for (const pkg of INSTRUMENTATION_CATALOG[name].triggers) byPackage.set(pkg, name);
  return (pkg, version, file, isMain, exports) => {
    const name = byPackage.get(pkg);
    if (name === undefined) return undefined;
    try {
      trigger(pkg);
      const instrumentation = built.get(name);
      return instrumentation === undefined ? undefined : patchBundledModule(instrumentation, pkg, version, file, isMain, exports);
    } catch (error) {
      log.debug(`bundled ${pkg}: not instrumented (${String(error)})`);
      return undefined;
    }
  };
}

/** Triggers from diagnostics_channel (channel-triggers.ts): the first message builds the owner and is replayed to it. */
function watchChannels(enabled: ReadonlySet<InstrumentationName>, pending: ReadonlyMap<string, InstrumentationName>, trigger: (name: string) => void): void {
  const owners = new Map<string, InstrumentationName>();
  for (const name of enabled) for (const channel of INSTRUMENTATION_CATALOG[name].channels ?? []) owners.set(channel, name);
  const fromChannel = (channel: string, message: unknown): void => {
    const owner = owners.get(channel);
    const triggerName = owner === undefined ? undefined : INSTRUMENTATION_CATALOG[owner].triggers[0];
    if (triggerName === undefined || pending.get(triggerName) !== owner) return;
    const subscribed = subscriptionsOf(() => trigger(triggerName));
    for (const handler of subscribed.get(channel) ?? []) handler(message, channel);
  };
  setChannelTrigger(fromChannel);
  for (const name of enabled) onFirstMessage(INSTRUMENTATION_CATALOG[name].channels ?? [], fromChannel);
}

/** Whether a require of pending built-in trigger `name` by the module `parent` switches its instrumentation on. */
type RequesterRule = (name: string, parent: unknown) => boolean;

/**
 * Which requires of a built-in trigger do not switch it on: the Lambda
 * runtime client's own (it loads node:http for itself after the preload,
 * which built the http instrumentation in every function, ~10 ms of a cold
 * start, whether or not the handler makes HTTP calls), and those of the
 * packages a catalog entry names in notTriggeredFrom. The runtime client is
 * the managed runtime's directory (LAMBDA_RUNTIME_DIR, /var/runtime) or the
 * aws-lambda-ric package (container images).
 */
export function requesterRule(pending: ReadonlyMap<string, InstrumentationName>, runtimeDir = process.env.LAMBDA_RUNTIME_DIR): RequesterRule {
  const runtimePrefix = runtimeDir ? `${runtimeDir.replace(/\/+$/, '')}/` : undefined;
  return (name, parent) => {
    const file = (parent as { filename?: unknown } | null | undefined)?.filename;
    if (typeof file !== 'string') return true;
    if (runtimePrefix !== undefined && file.startsWith(runtimePrefix)) return false;
    const from = packageOfPath(file);
    if (from === undefined) return true;
    if (from === 'aws-lambda-ric') return false;
    const instrumentation = pending.get(name);
    const quiet = instrumentation === undefined ? undefined : INSTRUMENTATION_CATALOG[instrumentation].notTriggeredFrom;
    return quiet === undefined || !quiet.some((prefix) => from.startsWith(prefix));
  };
}

type Require = (this: unknown, id: string) => unknown;

/**
 * Triggers from Module._load: every bare require, and the CommonJS files
 * behind an ES module import. A built-in whose requires so far did not count
 * (requesterRule) is in the require hook's cache unpatched, and its next
 * require is answered from there without reaching Module._load: the first
 * such require that counts is seen from Module.prototype.require, outside
 * that hook, and patches the built-in's one exports object in place.
 */
function watchRequires(
  pending: ReadonlyMap<string, InstrumentationName>,
  trigger: (name: string) => void,
  counts: RequesterRule,
  patchLoaded: (name: string, exports: unknown) => void,
): void {
  // The module object itself: esbuild's namespace copies of it are read-only.
  const moduleApi = require('node:module') as { _load: ModuleLoad; isBuiltin(id: string): boolean; prototype: { require: Require } };
  const originalLoad = moduleApi._load;
  const passedOver = new Set<string>();
  moduleApi._load = function (this: unknown, request, parent, isMain) {
    if (pending.size > 0 && typeof request === 'string') {
      const name = packageOfRequest(request);
      if (name !== undefined && pending.has(name)) {
        if (!moduleApi.isBuiltin(name) || counts(name, parent)) trigger(name);
        else if (passedOver.size === 0) {
          passedOver.add(name);
          watchLaterRequires(moduleApi.prototype, passedOver, counts, trigger, patchLoaded);
        } else passedOver.add(name);
      }
    }
    return originalLoad.call(this, request, parent, isMain);
  };
}

function watchLaterRequires(
  prototype: { require: Require },
  passedOver: Set<string>,
  counts: RequesterRule,
  trigger: (name: string) => void,
  patchLoaded: (name: string, exports: unknown) => void,
): void {
  const inner = prototype.require;
  prototype.require = function (this: unknown, id: string): unknown {
    const name = passedOver.size > 0 && typeof id === 'string' ? packageOfRequest(id) : undefined;
    if (name === undefined || !passedOver.has(name) || !counts(name, this)) return inner.call(this, id);
    passedOver.delete(name);
    trigger(name);
    const exports = inner.call(this, id);
    patchLoaded(name, exports);
    return exports;
  };
}

/** Triggers from import-in-the-middle; the hooks a trigger adds are replayed for the module being imported. */
function watchImports(pending: ReadonlyMap<string, InstrumentationName>, trigger: (name: string) => void): void {
  const iitm = require('import-in-the-middle') as { addHook(hook: ImportHook): void };
  const { importHooks } = require('import-in-the-middle/lib/register.js') as { importHooks: ImportHook[] };
  iitm.addHook((url, namespace, specifier, format) => {
    const name = packageOfUrl(url);
    if (name === undefined || !pending.has(name)) return;
    const before = importHooks.length;
    trigger(name);
    for (const hook of importHooks.slice(before)) hook(url, namespace, specifier, format);
  });
}

function warnAboutModulesLoadedEarlier(pending: ReadonlyMap<string, InstrumentationName>): void {
  const early = new Set<InstrumentationName>();
  for (const file of Object.keys(require.cache)) {
    const instrumentation = pending.get(packageOfPath(file) ?? '');
    if (instrumentation !== undefined) early.add(instrumentation);
  }
  if (early.size > 0) {
    log.warn(
      `${[...early].join(', ')} ${early.size === 1 ? 'was' : 'were'} loaded before tracing started and ${early.size === 1 ? 'is' : 'are'} not traced; ` +
        'start tracing first (node --require otel-xray-datadog/register, or --import for ES modules)',
    );
  }
}
