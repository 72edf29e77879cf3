import type { Attributes, Context, Link } from '@opentelemetry/api';

/** OpenTelemetry's faas.trigger values. */
export type FaasTrigger = 'http' | 'pubsub' | 'datasource' | 'timer' | 'other';

/** The consumer span for queue, topic, stream and event-bus events. */
export interface ConsumerSpan {
  name: string;
  attributes: Attributes;
}

/** Everything the invocation span needs to know about where its event came from. */
export interface EventTrace {
  trigger: FaasTrigger;
  /**
   * The producer's context (upstream.ts says which qualify): the invocation's
   * parent unless Lambda's own X-Ray segment takes that place. It may hold
   * only baggage.
   */
  upstream?: Context;
  /** One link per record with a context (batches), bounded in count and bytes. */
  links: Link[];
  consumer?: ConsumerSpan;
}

/** Work done per event is bounded whatever the event holds. */
export interface Budget {
  parsedBytes: number;
  readonly maxLinks: number;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

export function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
