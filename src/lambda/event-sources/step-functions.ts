/**
 * Step Functions: a Lambda task whose payload carries the state machine's
 * context object (`"_datadog.$": "$$"`, or the whole context merged into the
 * payload) joins the trace Datadog draws for the execution. Datadog derives
 * that trace's ids from the execution, so we derive the same ones:
 *   trace id  SHA-256 of the (root) execution ARN: bytes 8..15 the lower 64
 *             bits, bytes 0..7 the upper 64 (`_dd.p.tid`), top bit of each cleared;
 *   parent    SHA-256 of `<execution ARN>#<state name>#<entered time>` (plus
 *             `#<retry>#<redrive>` when either is not 0): bytes 0..7, top bit cleared.
 * When the execution itself was started by a traced caller, the context
 * carries that caller's `x-datadog-trace-id` / `x-datadog-tags`, and the
 * execution belongs to the caller's trace.
 */
import type * as crypto from 'node:crypto';
import { ROOT_CONTEXT, trace, TraceFlags, type Context } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { carrierFromObject, DATADOG_KEY } from '../../messaging/carriers';
import { type EventTrace, isRecord } from './types';

const MAX_FIELD = 2048;

/** The state machine context in the payload, if it holds one. */
function contextObject(event: Record<string, unknown>): Record<string, unknown> | undefined {
  const candidate = isRecord(event[DATADOG_KEY]) ? event[DATADOG_KEY] : event;
  return isRecord(candidate.Execution) && isRecord(candidate.State) && isRecord(candidate.StateMachine) ? candidate : undefined;
}

export function isStepFunctionsEvent(event: Record<string, unknown>): boolean {
  return contextObject(event) !== undefined;
}

export function fromStepFunctions(event: Record<string, unknown>): EventTrace {
  const upstream = stepFunctionsContext(event);
  return { trigger: 'other', upstream, links: [] };
}

export function stepFunctionsContext(event: Record<string, unknown>): Context | undefined {
  const sfn = contextObject(event);
  if (sfn === undefined) return undefined;
  const execution = sfn.Execution as Record<string, unknown>;
  const state = sfn.State as Record<string, unknown>;
  const executionId = text(execution.Id);
  const stateName = text(state.Name);
  const entered = text(state.EnteredTime);
  if (executionId === undefined || stateName === undefined || entered === undefined) return undefined;
  const retry = typeof state.RetryCount === 'number' ? state.RetryCount : 0;
  const redrive = typeof execution.RedriveCount === 'number' ? execution.RedriveCount : 0;
  const parentInput = `${executionId}#${stateName}#${entered}${retry !== 0 || redrive !== 0 ? `#${retry}#${redrive}` : ''}`;
  const spanId = hash64(parentInput, 0);

  let traceId: string;
  const carrier = carrierFromObject(sfn);
  const upstreamLower = carrier['x-datadog-trace-id'];
  const upstreamUpper = /(?:^|,)_dd\.p\.tid=([0-9a-f]{16})(?:,|$)/.exec(carrier['x-datadog-tags'] ?? '')?.[1];
  if (upstreamLower !== undefined && /^[0-9]{1,20}$/.test(upstreamLower) && BigInt(upstreamLower) > 0n && BigInt(upstreamLower) < 1n << 64n) {
    traceId = (upstreamUpper ?? '0'.repeat(16)) + BigInt(upstreamLower).toString(16).padStart(16, '0');
  } else {
    const root = text(sfn.RootExecutionId) ?? executionId;
    traceId = hash64(root, 0) + hash64(root, 8);
  }
  return trace.setSpanContext(ROOT_CONTEXT, {
    traceId,
    spanId,
    traceFlags: TraceFlags.SAMPLED,
    isRemote: true,
    // Datadog's Step Functions traces are kept (AUTO_KEEP).
    traceState: new TraceState().set('dd', 's:1'),
  });
}

/** 16 hex digits from 8 bytes of the string's SHA-256 at `offset`, top bit cleared (never all zero). */
function hash64(input: string, offset: number): string {
  // Loaded here, by the Step Functions events that need it: node:crypto costs ~4 ms of every cold start (measured on Node 24).
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createHash } = require('node:crypto') as typeof crypto;
  const bytes = createHash('sha256')
    .update(input)
    .digest()
    .subarray(offset, offset + 8);
  bytes[0] = bytes[0]! & 0x7f;
  const hex = bytes.toString('hex');
  return hex === '0'.repeat(16) ? '0'.repeat(15) + '1' : hex;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' && value.length <= MAX_FIELD ? value : undefined;
}
