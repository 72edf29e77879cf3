/**
 * Every instrumentation we ship, as data only: its name (what users write in
 * OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_), the modules whose first
 * require or import switches it on, its package and what it supports. The
 * preload (stage 1) reads it to install triggers; how each one is built is
 * stage 2's (instrumentations/builders.ts), so nothing of an instrumentation
 * is loaded until one of its trigger modules is.
 */

export interface CatalogEntry {
  /** Trigger modules (bare package names; node built-ins without `node:`). Empty: started by other means. */
  readonly triggers: readonly string[];
  /** The package users know the instrumentation by, when it is an official one. */
  readonly package?: string;
  /** Supported versions of the instrumented library, for docs/instrumentations.md. */
  readonly supports: string;
  /** diagnostics_channel names the library publishes on: their first message triggers too, bundled or not. */
  readonly channels?: readonly string[];
  /** Package-name prefixes whose own requires of a trigger do not switch it on (a later require from anywhere else still does). */
  readonly notTriggeredFrom?: readonly string[];
}

export const INSTRUMENTATION_NAMES = [
  'http',
  'undici',
  'aws-sdk',
  'aws-lambda',
  'express',
  'koa',
  'hapi',
  'nestjs-core',
  'fastify',
  'graphql',
  'grpc',
  'pg',
  'mysql2',
  'mysql',
  'mongodb',
  'mongoose',
  'ioredis',
  'redis',
  'kafkajs',
  'amqplib',
  'pino',
  'winston',
] as const;

export type InstrumentationName = (typeof INSTRUMENTATION_NAMES)[number];

export const INSTRUMENTATION_CATALOG: Readonly<Record<InstrumentationName, CatalogEntry>> = {
  http: {
    triggers: ['http', 'https'],
    // The AWS SDK's HTTP handler and credential providers: the aws-sdk
    // instrumentation makes the span of every SDK call and keeps its HTTP
    // request out of http's, so a function that makes no HTTP calls of its own
    // need not build http (~8 ms of an AWS SDK function's init).
    notTriggeredFrom: ['@smithy/', '@aws-sdk/'],
    package: '@opentelemetry/instrumentation-http',
    supports: 'Node.js http, https',
  },
  undici: {
    // Global fetch() never passes a module loader: loading/fetch-trigger.ts covers it.
    triggers: ['undici'],
    channels: ['undici:request:create'],
    package: '@opentelemetry/instrumentation-undici',
    supports: 'global fetch() (Node ≥ 20), undici ≥ 5.12',
  },
  'aws-sdk': {
    // What every AWS SDK v3 client loads first: @smithy/core carries the client
    // class since SDK ~3.9xx (@smithy/core >= 3.24); older clients load the others.
    triggers: ['@smithy/core', '@smithy/smithy-client', '@aws-sdk/smithy-client', '@smithy/middleware-stack', '@aws-sdk/middleware-stack'],
    package: '@opentelemetry/instrumentation-aws-sdk',
    supports: 'AWS SDK for JavaScript v3',
  },
  'aws-lambda': {
    // Started from the Lambda handler location (lambda/handler-instrumentation.ts), not from a module name.
    triggers: [],
    supports: 'nodejs20.x, nodejs22.x, nodejs24.x handlers',
  },
  express: {
    triggers: ['express'],
    package: '@opentelemetry/instrumentation-express',
    supports: 'express 4, 5',
  },
  koa: {
    triggers: ['koa'],
    package: '@opentelemetry/instrumentation-koa',
    supports: 'koa 2, 3 (with @koa/router)',
  },
  hapi: {
    triggers: ['@hapi/hapi'],
    package: '@opentelemetry/instrumentation-hapi',
    supports: '@hapi/hapi 17–21',
  },
  'nestjs-core': {
    triggers: ['@nestjs/core'],
    package: '@opentelemetry/instrumentation-nestjs-core',
    supports: '@nestjs/core 4–11 (routes come from the express or fastify adapter)',
  },
  fastify: {
    // instrumentation-fastify is deprecated; fastify publishes its routes itself.
    triggers: ['fastify'],
    channels: ['tracing:fastify.request.handler:start'],
    supports: 'fastify ≥ 5 (route from its diagnostics_channel)',
  },
  graphql: {
    triggers: ['graphql'],
    package: '@opentelemetry/instrumentation-graphql',
    supports: 'graphql 14–16',
  },
  grpc: {
    triggers: ['@grpc/grpc-js'],
    package: '@opentelemetry/instrumentation-grpc',
    supports: '@grpc/grpc-js 1',
  },
  pg: {
    triggers: ['pg', 'pg-pool'],
    package: '@opentelemetry/instrumentation-pg',
    supports: 'pg 8.0.3–8, pg-pool 2, 3',
  },
  mysql2: {
    triggers: ['mysql2'],
    package: '@opentelemetry/instrumentation-mysql2',
    supports: 'mysql2 1.4.2–3',
  },
  mysql: {
    triggers: ['mysql'],
    package: '@opentelemetry/instrumentation-mysql',
    supports: 'mysql 2',
  },
  mongodb: {
    triggers: ['mongodb'],
    package: '@opentelemetry/instrumentation-mongodb',
    supports: 'mongodb 3.3–7',
  },
  mongoose: {
    triggers: ['mongoose'],
    package: '@opentelemetry/instrumentation-mongoose',
    supports: 'mongoose 5.9.7–9',
  },
  ioredis: {
    triggers: ['ioredis'],
    package: '@opentelemetry/instrumentation-ioredis',
    supports: 'ioredis 2–6',
  },
  redis: {
    triggers: ['redis', '@redis/client', '@node-redis/client'],
    package: '@opentelemetry/instrumentation-redis',
    supports: 'redis 2.6–3, @redis/client 1, 5, 6, @node-redis/client 1',
  },
  kafkajs: {
    triggers: ['kafkajs'],
    package: '@opentelemetry/instrumentation-kafkajs',
    supports: 'kafkajs 0.3–2',
  },
  amqplib: {
    triggers: ['amqplib'],
    package: '@opentelemetry/instrumentation-amqplib',
    supports: 'amqplib 0.5.5–2',
  },
  pino: {
    triggers: ['pino'],
    package: '@opentelemetry/instrumentation-pino',
    supports: 'pino 5.14–10',
  },
  winston: {
    triggers: ['winston'],
    package: '@opentelemetry/instrumentation-winston',
    supports: 'winston 1–3',
  },
};

/** Accepts `express` and `@opentelemetry/instrumentation-express`; undefined for names we do not ship. */
export function instrumentationNamed(name: string): InstrumentationName | undefined {
  const short = name.replace(/^@opentelemetry\/instrumentation-/, '');
  return (INSTRUMENTATION_NAMES as readonly string[]).includes(short) ? (short as InstrumentationName) : undefined;
}
