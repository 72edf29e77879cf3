/** Byte sizes as AWS counts them against its message limits. */

export const KIB = 1024;
// SQS accepts 1 MiB since 2025, SNS and older SQS set-ups 256 KiB: never cross either.
export const SIZE_STEPS = [256 * KIB, 1024 * KIB];

interface MessageAttributeValue {
  DataType?: unknown;
  StringValue?: unknown;
  BinaryValue?: unknown;
  StringListValues?: unknown;
  BinaryListValues?: unknown;
}

export const byteLength = (value: unknown): number => {
  if (typeof value === 'string') return Buffer.byteLength(value);
  if (value instanceof Uint8Array) return value.byteLength;
  return 0;
};

export function attributesSize(attributes: unknown): number {
  if (typeof attributes !== 'object' || attributes === null) return 0;
  let size = 0;
  for (const [name, raw] of Object.entries(attributes as Record<string, unknown>)) {
    const value = (raw ?? {}) as MessageAttributeValue;
    size += Buffer.byteLength(name) + byteLength(value.DataType) + byteLength(value.StringValue) + byteLength(value.BinaryValue);
    for (const list of [value.StringListValues, value.BinaryListValues]) if (Array.isArray(list)) for (const item of list) size += byteLength(item);
  }
  return size;
}

/** How many more bytes a message of `size` may grow without crossing the next size limit. */
export function sizeSteps(size: number, steps: readonly number[] = SIZE_STEPS): number {
  for (const step of steps) if (size <= step) return step - size;
  return 0;
}
