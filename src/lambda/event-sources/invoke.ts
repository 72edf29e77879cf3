/**
 * Direct invocations (Lambda Invoke, Lambda-to-Lambda): the caller's context
 * in the client context's `custom` object, as `_datadog` (an object, or its
 * JSON text) or as flat header keys (what our producer and Datadog's write).
 */
import { carrierFromObject, DATADOG_KEY, parseDatadogJson } from '../../messaging/carriers';
import { type Carrier, upstreamContext } from './upstream';
import { isRecord } from './types';
import type { Context } from '@opentelemetry/api';

export function clientContextUpstream(clientContext: unknown): Context | undefined {
  const custom = isRecord(clientContext) ? clientContext.custom : undefined;
  if (!isRecord(custom)) return undefined;
  const nested = custom[DATADOG_KEY];
  const fromNested: Carrier | undefined = typeof nested === 'string' ? parseDatadogJson(nested) : isRecord(nested) ? carrierFromObject(nested) : undefined;
  return upstreamContext({ ...carrierFromObject(custom), ...fromNested });
}
