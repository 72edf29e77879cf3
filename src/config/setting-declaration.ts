/** The shape of one declaration in settings.ts, and the helpers that write them. */
import { parsePassThrough, type OptionKind, type Parsed } from './env-values';
import type { OptionName } from './setting-values';

/** Which resolver in config/resolve-config.ts reads the setting; docs/configuration.md groups rows in this order. */
export type Concern = 'general' | 'service tags' | 'export' | 'sampling' | 'propagation' | 'instrumentations' | 'messaging' | 'durations' | 'lambda';

export interface Setting<T, O extends OptionName = OptionName> {
  readonly concern: Concern;
  /** The README's "meaning" cell (markdown). */
  readonly description: string;
  /** The default as the variable would be written; parsed by `parse` like any value. Absent: see `defaultNote`. */
  readonly default?: string;
  /** Said in the README's "default" cell instead of, or after, `default` (computed defaults, other sources). */
  readonly defaultNote?: string;
  /** Never printed: diagnostics show `<redacted>`. */
  readonly secret: boolean;
  /** `sdk`: read by the OpenTelemetry packages themselves; we only list it. `lambda`: set by the Lambda runtime. */
  readonly readBy?: 'sdk';
  readonly setBy?: 'lambda';
  /** The start() option that sets the same thing; it wins over the variable. */
  readonly option?: { readonly name: O; readonly kind: OptionKind };
  readonly parse: (raw: string) => Parsed<T>;
  /** A value in force, for warnings and debug lines. */
  readonly show: (value: T) => string;
}

export function setting<T, O extends OptionName = never>(declaration: Omit<Setting<T, O>, 'secret' | 'show'> & { secret?: boolean; show?: (value: T) => string }): Setting<T, O> {
  return { secret: false, show: (value: T) => (Array.isArray(value) ? value.join(',') : String(value)), ...declaration };
}

/** Read by the OTLP exporter or the batch span processor: listed, never parsed by us. */
export function sdkSetting(concern: Concern, description: string, defaults: { default?: string; defaultNote?: string }, secret = false): Setting<string, never> {
  return setting<string>({ concern, description, ...defaults, secret, readBy: 'sdk', parse: parsePassThrough });
}
