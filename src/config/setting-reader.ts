/**
 * Reads settings through their declarations (settings.ts): a start() option
 * first, then the variable. A value that cannot be used is remembered until
 * the caller knows what is used instead (`settle`), so its one warning can
 * say so.
 */
import { optionText, type Parsed } from './env-values';
import type { Origin, SettingInForce } from './resolved-config';
import { OPTION_ONLY_SETTINGS, SETTINGS, defaultOf, type OptionSetting, type Setting, type SettingName, type SettingValue } from './settings';

export type Env = Readonly<Record<string, string | undefined>>;
export type Found<T> = { value: T; origin: Origin };

export const DEFAULT: Origin = { kind: 'default' };

/** A parser's result; a value whose inspection throws (a hostile Proxy given to start()) is unusable, not fatal. */
function safely<T>(parse: () => Parsed<T>): Parsed<T>;
function safely<T>(parse: () => Parsed<T> | undefined): Parsed<T> | undefined;
function safely<T>(parse: () => Parsed<T> | undefined): Parsed<T> | undefined {
  try {
    return parse();
  } catch {
    return { ok: false, reason: 'could not be read' };
  }
}
const UNREADABLE = Symbol('unreadable');

export function describeOrigin(origin: Origin): string {
  const entry = origin.entry !== undefined ? ` ${origin.entry}` : '';
  if (origin.kind === 'default') return origin.name !== undefined ? `default: ${origin.name}` : 'default';
  if (origin.kind === 'option') return `start() option ${origin.name ?? ''}`;
  return `${origin.kind === 'env' ? 'env' : 'function tag'} ${origin.name ?? ''}${entry}`;
}

/**
 * Reads settings through their declarations: a start() option first, then
 * the variable. A value that cannot be used is remembered until the caller
 * knows what is used instead (`settle`), so its one warning can say so.
 */
export class Reader {
  readonly warnings: string[] = [];
  readonly inForce: SettingInForce[] = [];
  private readonly pending = new Map<string, { label: string; reason: string }[]>();

  constructor(
    private readonly env: Env,
    private readonly options: Readonly<Record<string, unknown>>,
  ) {}

  /** The setting's value from its option or its variable; undefined when neither is set and usable. */
  find<N extends SettingName>(name: N): Found<SettingValue<N>> | undefined {
    const declaration = SETTINGS[name] as unknown as Setting<SettingValue<N>>;
    for (const candidate of this.candidates(name, declaration)) {
      const parsed = candidate.text.ok ? safely(() => declaration.parse((candidate.text as { value: string }).value)) : candidate.text;
      if (!parsed.ok) {
        this.pending.set(name, [...(this.pending.get(name) ?? []), { label: candidate.label, reason: parsed.reason }]);
        continue;
      }
      if (parsed.partial) this.warn(candidate.label, parsed.partial.reason, parsed.partial.using);
      return { value: parsed.value, origin: candidate.origin };
    }
    return undefined;
  }

  /** find(), else the declared default; settles the setting's warnings and records it as `field`. */
  get<N extends SettingName>(name: N, field: string): Found<SettingValue<N>> {
    const found = this.find(name) ?? { value: defaultOf(name) as SettingValue<N>, origin: DEFAULT };
    const show = (value: SettingValue<N>): string => this.show(name, value);
    this.settle([name], this.using(found, show));
    this.record(field, found, show);
    return found;
  }

  /** A start() option that has no variable (declared in OPTION_ONLY_SETTINGS). */
  option<T>(name: keyof typeof OPTION_ONLY_SETTINGS, declaration: OptionSetting<T>): Found<T> | undefined {
    const value = this.optionValue(name);
    const parsed = value === UNREADABLE ? { ok: false as const, reason: 'could not be read' } : safely(() => declaration.parse(value));
    const label = `start({ ${name} })`;
    if (parsed === undefined) return undefined;
    if (!parsed.ok) {
      this.warn(label, parsed.reason, declaration.default !== undefined ? declaration.show(declaration.default) : declaration.defaultNote);
      return undefined;
    }
    if (parsed.partial) this.warn(label, parsed.partial.reason, parsed.partial.using);
    return { value: parsed.value, origin: { kind: 'option', name } };
  }

  /** Warns about the unusable values of `names`, now that what is used instead is known. */
  settle(names: readonly string[], using: string): void {
    for (const name of names) {
      for (const { label, reason } of this.pending.get(name) ?? []) this.warn(label, reason, using);
      this.pending.delete(name);
    }
  }

  /** Settles whatever a resolver left pending (none should be). */
  settleRest(): void {
    this.settle([...this.pending.keys()], 'the next source in precedence order');
  }

  record<T>(field: string, found: Found<T>, show: (value: T) => string): void {
    this.inForce.push({ field, value: show(found.value), origin: found.origin });
  }

  using<T>(found: Found<T>, show: (value: T) => string): string {
    return found.origin.kind === 'default' && found.origin.name === undefined ? show(found.value) : `${show(found.value)} (${describeOrigin(found.origin)})`;
  }

  show<N extends SettingName>(name: N, value: SettingValue<N>): string {
    const declaration = SETTINGS[name] as unknown as Setting<SettingValue<N>>;
    return declaration.secret ? '<redacted>' : declaration.show(value);
  }

  /** Variables read by the OpenTelemetry packages themselves, when set: listed for the debug report only. */
  recordPassThrough(): void {
    for (const [name, declaration] of Object.entries(SETTINGS) as [SettingName, Pick<Setting<unknown>, 'readBy' | 'secret'>][]) {
      const raw = declaration.readBy === 'sdk' ? this.env[name] : undefined;
      if (raw !== undefined && raw.trim() !== '')
        this.inForce.push({ field: name, value: declaration.secret ? '<redacted>' : raw.trim().slice(0, 200), origin: { kind: 'env', name } });
    }
  }

  private warn(label: string, reason: string, using: string): void {
    this.warnings.push(`${label}: ${reason}; using ${using}`);
  }

  private *candidates(name: SettingName, declaration: Pick<Setting<unknown>, 'option'>): Generator<{ label: string; origin: Origin; text: Parsed<string> }> {
    if (declaration.option !== undefined) {
      const option = declaration.option.name;
      const value = this.optionValue(option);
      const kind = declaration.option.kind;
      const text = value === UNREADABLE ? { ok: false as const, reason: 'could not be read' } : safely(() => optionText(kind, value));
      if (text !== undefined) yield { label: `start({ ${option} })`, origin: { kind: 'option', name: option }, text };
    }
    const raw = this.env[name];
    if (typeof raw === 'string' && raw.trim() !== '') yield { label: name, origin: { kind: 'env', name }, text: { ok: true, value: raw } };
  }

  private optionValue(name: string): unknown {
    try {
      return this.options[name];
    } catch {
      return UNREADABLE;
    }
  }
}
