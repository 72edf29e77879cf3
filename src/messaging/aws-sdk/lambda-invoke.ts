/** Lambda Invoke: our context in ClientContext.custom, within its size limit. */
import { XRAY_KEY } from '../carriers';
import type { Input } from './types';

// https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html: base64 ClientContext up to 3583 bytes.
export const MAX_CLIENT_CONTEXT = 3583;

export function lambdaInvoke(input: Input, carrier: Record<string, string>): Input | undefined {
  const existing = input.ClientContext;
  let clientContext: Record<string, unknown> = {};
  if (existing !== undefined) {
    if (typeof existing !== 'string' || existing.length > MAX_CLIENT_CONTEXT) return undefined;
    try {
      const parsed = JSON.parse(Buffer.from(existing, 'base64').toString('utf8')) as unknown;
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return undefined;
      clientContext = parsed as Record<string, unknown>;
    } catch {
      return undefined; // not ours to repair
    }
  }
  const custom = clientContext.custom;
  if (custom !== undefined && (typeof custom !== 'object' || custom === null || Array.isArray(custom))) return undefined;
  // Everything the propagators write; if that is too long, traceparent (or the X-Ray header) alone.
  const minimal: Record<string, string> = {};
  const first = carrier.traceparent !== undefined ? 'traceparent' : XRAY_KEY;
  if (carrier[first] !== undefined) minimal[first] = carrier[first];
  for (const candidate of [carrier, minimal]) {
    if (Object.keys(candidate).length === 0) continue;
    const encoded = Buffer.from(JSON.stringify({ ...clientContext, custom: { ...(custom as object | undefined), ...candidate } })).toString('base64');
    if (encoded.length <= MAX_CLIENT_CONTEXT) return { ...input, ClientContext: encoded };
  }
  return undefined;
}
