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
  /** The managed service's hop, when the event says when it took the request or message. */
  inferred?: InferredSpan;
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

/**
 * A managed service's hop drawn as a span (Datadog's "inferred span"): the
 * API Gateway request, the time a message waited in its queue or topic. It
 * goes between the producer and the invocation span.
 */
export interface InferredSpan {
  /** Datadog's operation name, e.g. `aws.sqs`. */
  operation: string;
  /** What Datadog files it under: the API's domain, the queue, topic, bus, stream or table. */
  service: string;
  resource: string;
  kind: 'server' | 'consumer';
  /** Epoch ms the service took the request or message. */
  startMs: number;
  /** When it ends: with the invocation (a request), when the invocation starts (time in queue), or at an epoch ms (the hop in front of another). */
  end: 'invocation' | 'arrival' | number;
  /** The hop in front of this one: the SNS topic or EventBridge bus that delivered into an SQS queue. */
  upstream?: InferredSpan;
}

/** Epoch ms from what AWS puts in events: ms (number or digits), or an ISO date; undefined when it is neither. */
export function epochMs(value: unknown, unit: 'ms' | 's' = 'ms'): number | undefined {
  let ms: number | undefined;
  if (typeof value === 'number') ms = unit === 's' ? value * 1000 : value;
  else if (typeof value === 'string' && /^\d{10,16}(\.\d+)?$/.test(value)) ms = unit === 's' ? Number(value) * 1000 : Number(value);
  else if (typeof value === 'string' && value.length <= 40 && /^\d{4}-\d{2}-\d{2}T/.test(value)) ms = Date.parse(value);
  return ms !== undefined && Number.isFinite(ms) && ms > 0 ? ms : undefined;
}
