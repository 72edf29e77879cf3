/** Kinesis PutRecord(s) data with `_datadog`, when opted in and the data is a JSON object. */
import { DATADOG_KEY, datadogCarrier } from '../carriers';
import { withJsonKey } from './json-key';
import { byteLength, KIB } from './sizes';
import type { Input } from './types';

export const MAX_KINESIS_RECORD = 1024 * KIB;

export const kinesisRecordSize = (input: Input): number => byteLength(input.Data) + byteLength(input.PartitionKey);

export function kinesisRecord(input: Input, carrier: Record<string, string>, room: number): Input | undefined {
  const data = input.Data;
  let text: string;
  if (typeof data === 'string') text = data;
  else if (data instanceof Uint8Array) {
    if (data.byteLength > MAX_KINESIS_RECORD) return undefined;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(data);
    } catch {
      return undefined; // not text: a binary record is never touched
    }
  } else return undefined;
  const json = withJsonKey(text, DATADOG_KEY, JSON.stringify(datadogCarrier(carrier)));
  if (json === undefined) return undefined;
  const bytes = Buffer.from(json);
  if (bytes.byteLength - byteLength(data) > Math.min(room, MAX_KINESIS_RECORD - kinesisRecordSize(input))) return undefined;
  return { ...input, Data: typeof data === 'string' ? json : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}
