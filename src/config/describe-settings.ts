/**
 * The start-up debug report (OTEL_LOG_LEVEL=debug): each setting in force and
 * where it came from (a start() option, a variable, a default, a Lambda
 * function tag). Values come from ResolvedConfig.inForce, where secrets are
 * already `<redacted>` and URLs have no credentials or query string.
 */
import { type ResolvedConfig, type SettingInForce } from './resolved-config';
import { describeOrigin } from './setting-reader';

/** Resource keys of the unified tags, by the field they replace. */
const TAGGED_FIELDS: Readonly<Record<string, string>> = { service: 'service.name', env: 'deployment.environment.name', version: 'service.version' };

/**
 * One line per setting in force. `functionTagOverrides` (the resource
 * attributes the function's tags replaced, src/function-tags.ts) show the
 * unified tags they override as coming from a function tag.
 */
export function describeSettings(config: Pick<ResolvedConfig, 'inForce'>, functionTagOverrides: Readonly<Record<string, string>> = {}): string[] {
  return config.inForce.map((setting) => line(withFunctionTag(setting, functionTagOverrides)));
}

/** Only the settings the function's tags changed (for the debug line when they arrive). */
export function describeFunctionTagSettings(config: Pick<ResolvedConfig, 'inForce'>, functionTagOverrides: Readonly<Record<string, string>>): string[] {
  return config.inForce
    .map((setting) => withFunctionTag(setting, functionTagOverrides))
    .filter((setting) => setting.origin.kind === 'function tag')
    .map(line);
}

function withFunctionTag(setting: SettingInForce, overrides: Readonly<Record<string, string>>): SettingInForce {
  const key = TAGGED_FIELDS[setting.field];
  const value = key !== undefined ? overrides[key] : undefined;
  return value === undefined ? setting : { field: setting.field, value, origin: { kind: 'function tag', name: setting.field } };
}

function line({ field, value, origin }: SettingInForce): string {
  return `setting ${field} = ${value} (${describeOrigin(origin)})`;
}
