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
import { SpanKind, type Attributes, type Context } from '@opentelemetry/api';
import type { ReadableSpan, Span, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { arnResource } from '../messaging/arn';
import { datadogPriorityOf } from './propagator';
import { LAMBDA_SCOPE } from '../version';

/** The attribute the collector's datadog exporter maps to the trace's sampling priority (`_sampling_priority_v1`). */
export const SAMPLING_PRIORITY = 'sampling.priority';

// Systems whose commands, not statements, are what Datadog shows as the resource.
export const COMMAND_SYSTEMS: ReadonlySet<string> = new Set(['redis', 'memcached']);

const text = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

/**
 * Databases whose statement is not what Datadog shows: the resource from other attributes.
 * mongodb: the driver's statement is the command as scrubbed JSON; Datadog's own tracer shows
 * `find otel_test.users` (findAndModify reports the collection `$cmd`: the database alone).
 */
const RESOURCE_BY_DB_SYSTEM: Readonly<Record<string, (attributes: Attributes) => string | undefined>> = {
  mongodb: (attributes) => {
    const operation = text(attributes['db.operation.name']) ?? text(attributes['db.operation']);
    if (operation === undefined) return undefined;
    const collection = text(attributes['db.collection.name']) ?? text(attributes['db.mongodb.collection']);
    const target = [text(attributes['db.namespace']) ?? text(attributes['db.name']), collection === '$cmd' ? undefined : collection].filter(Boolean).join('.');
    return target === '' ? operation : `${operation} ${target}`;
  },
};

/**
 * Messaging systems whose instrumentation writes only the legacy destination keys.
 * rabbitmq (amqplib): `messaging.destination` is the exchange, '' for the default exchange,
 * where the routing key is the queue.
 */
const DESTINATION_BY_SYSTEM: Readonly<Record<string, (attributes: Attributes) => string | undefined>> = {
  rabbitmq: (attributes) =>
    text(attributes['messaging.destination']) ?? text(attributes['messaging.rabbitmq.destination.routing_key']) ?? text(attributes['messaging.rabbitmq.routing_key']),
};

// Brokers whose host is Datadog's out.host and peer.service (as dd-trace's amqplib plugin).
const BROKER_HOST_SYSTEMS = new Set(['rabbitmq']);

/**
 * INTERNAL spans that the exporter would name `Internal` (the span kind), by instrumentation
 * scope: [operation, resource, span.type]; undefined leaves a part to the exporter.
 */
const INTERNAL_NAMES: Readonly<Record<string, (name: string, attributes: Attributes) => [string | undefined, string | undefined, string | undefined] | undefined>> = {
  // hapi.type: router, plugin or server.ext. The route span: `hapi.router`, `GET /users/{id}`.
  '@opentelemetry/instrumentation-hapi': (name, attributes) => {
    const type = text(attributes['hapi.type']);
    if (type === undefined) return undefined;
    const method = text(attributes['http.request.method']) ?? text(attributes['http.method']);
    const route = text(attributes['http.route']);
    return [`hapi.${type}`, method !== undefined && route !== undefined ? `${method} ${route}` : name, undefined];
  },
  // `graphql.resolve order.id` -> operation graphql.resolve, resource order.id; `graphql.parse`.
  // The execute span (graphql.operation.type set) is named by the exporter: only its type.
  '@opentelemetry/instrumentation-graphql': (name, attributes) => {
    if (attributes['graphql.operation.type'] !== undefined) return [undefined, undefined, 'graphql'];
    const space = name.indexOf(' ');
    return space === -1 ? [name, name, 'graphql'] : [name.slice(0, space), name.slice(space + 1), 'graphql'];
  },
};

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
    const internal = span.kind === SpanKind.INTERNAL ? INTERNAL_NAMES[span.instrumentationScope.name]?.(span.name, attributes) : undefined;
    if (internal !== undefined) {
      const [operation, resource, type] = internal;
      if (operation !== undefined) nameAs(span, operation, resource);
      if (type !== undefined && attributes['span.type'] === undefined) span.setAttribute('span.type', type);
      return;
    }
    // RPC clients: Datadog's host and peer service (as dd-trace: the RPC service).
    if (span.kind === SpanKind.CLIENT && typeof attributes['rpc.system'] === 'string') {
      setIfAbsent(span, 'out.host', text(attributes['server.address']));
      setIfAbsent(span, 'peer.service', text(attributes['rpc.service']));
      return;
    }
    const system = attributes['db.system.name'] ?? attributes['db.system'];
    if (typeof system !== 'string') return;
    if (attributes['db.system'] === undefined) span.setAttribute('db.system', system);
    // Datadog's host and peer service for a database are out.host and peer.service.
    const host = attributes['server.address'];
    if (typeof host === 'string' && attributes['out.host'] === undefined) span.setAttribute('out.host', host);
    const peer = attributes['db.namespace'] ?? attributes['db.name'] ?? host;
    if (typeof peer === 'string' && attributes['peer.service'] === undefined) span.setAttribute('peer.service', peer);
    setIfAbsent(span, 'resource.name', RESOURCE_BY_DB_SYSTEM[system]?.(attributes));
    const statement = attributes['db.query.text'] ?? attributes['db.statement'];
    if (typeof statement !== 'string') return;
    if (attributes['db.statement'] === undefined) span.setAttribute('db.statement', statement);
    setIfAbsent(span, 'resource.name', COMMAND_SYSTEMS.has(system) ? commandOf(statement) : statement);
  }

  onEnd(_span: ReadableSpan): void {}

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

function setIfAbsent(span: Span, key: string, value: string | undefined): void {
  if (value !== undefined && span.attributes[key] === undefined) span.setAttribute(key, value);
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
  const destination = attributes['messaging.destination.name'] ?? DESTINATION_BY_SYSTEM[system]?.(attributes);
  // SNS destinations are topic ARNs: the topic name is what reads well.
  const resource = typeof destination === 'string' ? (destination.startsWith('arn:') ? (arnResource(destination, ':') ?? destination) : destination) : undefined;
  nameAs(span, `${system}.${operation}`, resource);
  // Datadog's host and peer service for a broker that records its address (kafkajs records none).
  if (BROKER_HOST_SYSTEMS.has(system)) {
    setIfAbsent(span, 'out.host', text(attributes['server.address']));
    setIfAbsent(span, 'peer.service', text(attributes['server.address']));
  }
}

/** `set user:7 [1 other arguments]` -> `SET`: the command, never its keys or values. */
function commandOf(text: string): string {
  const space = text.indexOf(' ');
  return (space === -1 ? text : text.slice(0, space)).toUpperCase();
}
