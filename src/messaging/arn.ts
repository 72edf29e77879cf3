/** Pieces of an ARN (`arn:aws:sqs:us-east-1:123456789012:queue-name`, `…:stream/name`). */

/** The resource name at the end of an ARN, after the last `separator`; undefined when absent or empty. */
export function arnResource(arn: unknown, separator: ':' | '/'): string | undefined {
  if (typeof arn !== 'string' || arn.length > 2048) return undefined;
  const name = arn.slice(arn.lastIndexOf(separator) + 1);
  return name === '' ? undefined : name;
}

/** The account id field of an ARN. */
export function arnAccount(arn: string): string | undefined {
  const account = arn.split(':', 5)[4];
  return account === undefined || account === '' ? undefined : account;
}
