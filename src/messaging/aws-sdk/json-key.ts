/** Adding our `_datadog` member to a user's JSON text without re-serializing it. */

/**
 * `text` with `"key":<valueJson>` added as the first member, when text is a
 * JSON object without that key; undefined otherwise. The user's text is kept
 * as it is (re-serializing would change number formatting and precision).
 */
export function withJsonKey(text: string, key: string, valueJson: string): string | undefined {
  const open = text.search(/\S/);
  if (open === -1 || text.charCodeAt(open) !== 123 /* { */) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed) || Object.prototype.hasOwnProperty.call(parsed, key)) return undefined;
  const member = `${JSON.stringify(key)}:${valueJson}`;
  const empty = Object.keys(parsed).length === 0;
  return `${text.slice(0, open + 1)}${member}${empty ? '' : ','}${text.slice(open + 1)}`;
}
