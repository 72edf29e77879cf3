/** EventBridge PutEvents entries: the X-Ray TraceHeader, and `detail._datadog` when opted in. */
import { DATADOG_KEY, datadogCarrier, XRAY_KEY } from '../carriers';
import { withJsonKey } from './json-key';
import { byteLength, KIB } from './sizes';
import type { Input } from './types';

const MAX_EVENTBRIDGE_REQUEST = 256 * KIB;

export function eventBridgeEntries(input: Input, carrier: Record<string, string>, injectDetail: boolean): Input | undefined {
  const entries = input.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > 100) return undefined;
  const xray = carrier[XRAY_KEY];
  const ddJson = injectDetail ? JSON.stringify(datadogCarrier(carrier)) : undefined;
  let total = 0;
  for (const entry of entries) total += eventBridgeEntrySize(entry);
  let changed = false;
  const out = entries.map((raw: unknown) => {
    if (typeof raw !== 'object' || raw === null) return raw;
    let entry = raw as Input;
    // The entry's X-Ray header: read by EventBridge, not part of the event.
    if (xray !== undefined && entry.TraceHeader === undefined) {
      entry = { ...entry, TraceHeader: xray };
      changed = true;
    }
    if (ddJson !== undefined && typeof entry.Detail === 'string') {
      const detail = withJsonKey(entry.Detail, DATADOG_KEY, ddJson);
      const grows = detail === undefined ? 0 : Buffer.byteLength(detail) - Buffer.byteLength(entry.Detail);
      if (detail !== undefined && total + grows <= MAX_EVENTBRIDGE_REQUEST) {
        total += grows;
        entry = { ...entry, Detail: detail };
        changed = true;
      }
    }
    return entry;
  });
  return changed ? { ...input, Entries: out } : undefined;
}

function eventBridgeEntrySize(raw: unknown): number {
  if (typeof raw !== 'object' || raw === null) return 0;
  const entry = raw as Input;
  let size = 14 + byteLength(entry.Source) + byteLength(entry.DetailType) + byteLength(entry.Detail);
  if (Array.isArray(entry.Resources)) for (const r of entry.Resources) size += byteLength(r);
  return size;
}
