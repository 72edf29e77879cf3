/**
 * Fastify routes for the HTTP server span. instrumentation-fastify is
 * deprecated and @fastify/otel brings its own @opentelemetry/instrumentation
 * line; fastify (≥ 5) publishes every handler call on diagnostics_channel,
 * which is all Datadog's resource (`GET /users/:id`) needs.
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { context } from '@opentelemetry/api';
import { getRPCMetadata, RPCType } from '@opentelemetry/core';
import { InstrumentationBase, type InstrumentationNodeModuleDefinition } from '@opentelemetry/instrumentation';
import { DISTRIBUTION_NAME, DISTRIBUTION_VERSION } from '../version';

const HANDLER_START = 'tracing:fastify.request.handler:start';

interface HandlerStart {
  route?: { url?: unknown };
  request?: { routeOptions?: { url?: unknown } };
}

function onHandlerStart(message: unknown): void {
  const { route, request } = (message ?? {}) as HandlerStart;
  const url = route?.url ?? request?.routeOptions?.url;
  // The http instrumentation names the server span from this when the response ends.
  const rpc = getRPCMetadata(context.active());
  if (typeof url === 'string' && rpc?.type === RPCType.HTTP) rpc.route = url;
}

// Module state, not a field: the base constructor calls enable() before a
// subclass's fields are initialised. The channel is process-wide anyway.
let subscribed = false;

class FastifyRouteInstrumentation extends InstrumentationBase {
  constructor() {
    super(`${DISTRIBUTION_NAME}/fastify`, DISTRIBUTION_VERSION, {});
  }

  protected init(): InstrumentationNodeModuleDefinition[] {
    return [];
  }

  override enable(): void {
    if (subscribed) return;
    subscribed = true;
    subscribe(HANDLER_START, onHandlerStart);
  }

  override disable(): void {
    if (!subscribed) return;
    subscribed = false;
    unsubscribe(HANDLER_START, onHandlerStart);
  }
}

export function createFastifyRouteInstrumentation(): InstrumentationBase {
  return new FastifyRouteInstrumentation();
}
