/**
 * Datadog names a span from a few attributes (operation from `db.system`,
 * resource from the SQL statement...), and the collector's datadog exporter
 * reads the older semantic-convention keys while the instrumentations now
 * write the stable ones (`db.system.name`, `db.query.text`). Without this a
 * PostgreSQL query shows in Datadog as `pg.query:SELECT otel_test`, not as its
 * statement, and with no host or peer service. Runs as the span ends.
 *
 * - database spans: operation from `db.system`, the statement (or the Redis
 *   command) as resource, `out.host`, `peer.service`;
 * - Lambda invocation spans: operation `aws.lambda`, the function name as
 *   resource, as Datadog's own Lambda library names them;
 * - messaging producer and consumer spans: operation `<system>.<operation>`
 *   (`aws_sqs.process`, `aws.sns.send`), the queue, topic, stream or source as
 *   resource. The exporter would read only the legacy `messaging.operation`
 *   key (the current ones give the operation `Consumer`) and would put the
 *   operation in front of the resource.
 */
import { SpanKind, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { arnResource } from '../messaging/arn';
import { datadogPriorityOf } from './propagator';
import { LAMBDA_SCOPE } from '../version';

/** The attribute the collector's datadog exporter maps to the trace's sampling priority (`_sampling_priority_v1`). */
export const SAMPLING_PRIORITY = 'sampling.priority';

// Systems whose commands, not statements, are what Datadog shows as the resource.
const COMMAND_SYSTEMS = new Set(['redis', 'memcached']);

export class DatadogNames implements SpanProcessor {
  onStart(span: Span, _parentContext: Context): void {
    // The collector's datadog exporter reads the trace's sampling priority from this attribute.
    const priority = datadogPriorityOf(span.spanContext().traceState);
    if (priority !== undefined) span.setAttribute(SAMPLING_PRIORITY, priority);
  }

  onEnding(span: Span): void {
    if (span.kind === SpanKind.SERVER && span.instrumentationScope.name === LAMBDA_SCOPE) {
      nameAs(span, 'aws.lambda', span.name);
      return;
    }
    if (span.kind === SpanKind.PRODUCER || span.kind === SpanKind.CONSUMER) {
      nameMessagingSpan(span);
      return;
    }
    const attributes = span.attributes;
    const system = attributes['db.system.name'] ?? attributes['db.system'];
    if (typeof system !== 'string') return;
    if (attributes['db.system'] === undefined) span.setAttribute('db.system', system);
    // Datadog's host and peer service for a database are out.host and peer.service.
    const host = attributes['server.address'];
    if (typeof host === 'string' && attributes['out.host'] === undefined) span.setAttribute('out.host', host);
    const peer = attributes['db.namespace'] ?? attributes['db.name'] ?? host;
    if (typeof peer === 'string' && attributes['peer.service'] === undefined) span.setAttribute('peer.service', peer);
    const text = attributes['db.query.text'] ?? attributes['db.statement'];
    if (typeof text !== 'string' || attributes['resource.name'] !== undefined) return;
    if (attributes['db.statement'] === undefined) span.setAttribute('db.statement', text);
    span.setAttribute('resource.name', COMMAND_SYSTEMS.has(system) ? commandOf(text) : text);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function nameAs(span: Span, operation: string, resource: string | undefined): void {
  if (span.attributes['operation.name'] === undefined) span.setAttribute('operation.name', operation);
  if (resource !== undefined && span.attributes['resource.name'] === undefined) span.setAttribute('resource.name', resource);
}

function nameMessagingSpan(span: Span): void {
  const attributes = span.attributes;
  const system = attributes['messaging.system'];
  if (typeof system !== 'string') return;
  const given = attributes['messaging.operation.type'] ?? attributes['messaging.operation'];
  const operation = typeof given === 'string' ? given : span.kind === SpanKind.PRODUCER ? 'send' : 'process';
  const destination = attributes['messaging.destination.name'];
  // SNS destinations are topic ARNs: the topic name is what reads well.
  const resource = typeof destination === 'string' ? (destination.startsWith('arn:') ? (arnResource(destination, ':') ?? destination) : destination) : undefined;
  nameAs(span, `${system}.${operation}`, resource);
}

/** `set user:7 [1 other arguments]` -> `SET`: the command, never its keys or values. */
function commandOf(text: string): string {
  const space = text.indexOf(' ');
  return (space === -1 ? text : text.slice(0, space)).toUpperCase();
}
