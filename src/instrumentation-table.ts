/**
 * Every instrumentation we ship, kept in one place: its name (what users write
 * in OTEL_NODE_ENABLED_INSTRUMENTATIONS / _DISABLED_), the modules whose first
 * require or import switches it on, and how to build it. Nothing here is
 * loaded until one of its trigger modules is: an app pays start-up only for
 * the libraries it uses.
 */
import type { Instrumentation } from '@opentelemetry/instrumentation';
import type { LogCorrelation } from './log-correlation';

/* eslint-disable @typescript-eslint/no-require-imports -- each package is loaded only when its trigger fires */

export interface BuildContext {
  logCorrelation: LogCorrelation;
}

export interface TableEntry {
  /** Trigger modules (bare package names; node built-ins without `node:`). Empty: started by other means. */
  readonly triggers: readonly string[];
  /** The package users know the instrumentation by, when it is an official one. */
  readonly package?: string;
  /** Supported versions of the instrumented library, for the README. */
  readonly supports: string;
  readonly build: (context: BuildContext) => Instrumentation;
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

// Loaded with the logger instrumentations only (it pulls in the X-Ray id code).
const logCorrelationHook = (correlation: LogCorrelation): unknown => (require('./log-correlation') as typeof import('./log-correlation')).logCorrelationHook(correlation);

const official = <T>(pkg: string, exportName: string, options?: (context: BuildContext) => T) => (context: BuildContext): Instrumentation => {
  const { loadInstrumentationPackage } = require('./instrumentation-package') as typeof import('./instrumentation-package');
  const Class = loadInstrumentationPackage(pkg)[exportName] as new (config?: T) => Instrumentation;
  if (typeof Class !== 'function') throw new Error(`${pkg} has no ${exportName}`);
  return new Class(options?.(context));
};

export const INSTRUMENTATION_TABLE: Readonly<Record<InstrumentationName, TableEntry>> = {
  http: {
    triggers: ['http', 'https'],
    package: '@opentelemetry/instrumentation-http',
    supports: 'Node.js http, https',
    build: official('@opentelemetry/instrumentation-http', 'HttpInstrumentation'),
  },
  undici: {
    // Global fetch() never passes a module loader: fetch-trigger.ts covers it.
    triggers: ['undici'],
    package: '@opentelemetry/instrumentation-undici',
    supports: 'global fetch() (Node ≥ 20), undici ≥ 5.12',
    build: official('@opentelemetry/instrumentation-undici', 'UndiciInstrumentation'),
  },
  'aws-sdk': {
    // What every AWS SDK v3 client loads first: @smithy/core carries the client
    // class since SDK ~3.9xx (@smithy/core >= 3.24); older clients load the others.
    triggers: ['@smithy/core', '@smithy/smithy-client', '@aws-sdk/smithy-client', '@smithy/middleware-stack', '@aws-sdk/middleware-stack'],
    package: '@opentelemetry/instrumentation-aws-sdk',
    supports: 'AWS SDK for JavaScript v3',
    // The official instrumentation, with our trace context on requests and messages (aws-sdk-messaging.ts).
    build: () => (require('./aws-sdk-messaging') as typeof import('./aws-sdk-messaging')).createAwsSdkInstrumentation(),
  },
  'aws-lambda': {
    // Started from the Lambda handler location (lambda-handler.ts), not from a module name.
    triggers: [],
    supports: 'nodejs20.x, nodejs22.x, nodejs24.x handlers',
    build: () => {
      throw new Error('aws-lambda is built by lambda-handler.ts');
    },
  },
  express: {
    triggers: ['express'],
    package: '@opentelemetry/instrumentation-express',
    supports: 'express 4, 5',
    build: official('@opentelemetry/instrumentation-express', 'ExpressInstrumentation'),
  },
  koa: {
    triggers: ['koa'],
    package: '@opentelemetry/instrumentation-koa',
    supports: 'koa 2, 3 (with @koa/router)',
    build: official('@opentelemetry/instrumentation-koa', 'KoaInstrumentation'),
  },
  hapi: {
    triggers: ['@hapi/hapi'],
    package: '@opentelemetry/instrumentation-hapi',
    supports: '@hapi/hapi 17–21',
    build: official('@opentelemetry/instrumentation-hapi', 'HapiInstrumentation'),
  },
  'nestjs-core': {
    triggers: ['@nestjs/core'],
    package: '@opentelemetry/instrumentation-nestjs-core',
    supports: '@nestjs/core 4–11 (routes come from the express or fastify adapter)',
    build: official('@opentelemetry/instrumentation-nestjs-core', 'NestInstrumentation'),
  },
  fastify: {
    // instrumentation-fastify is deprecated; fastify publishes its routes itself.
    triggers: ['fastify'],
    supports: 'fastify ≥ 5 (route from its diagnostics_channel)',
    build: () => (require('./fastify-routes') as typeof import('./fastify-routes')).createFastifyRouteInstrumentation(),
  },
  graphql: {
    triggers: ['graphql'],
    package: '@opentelemetry/instrumentation-graphql',
    supports: 'graphql 14–16',
    build: official('@opentelemetry/instrumentation-graphql', 'GraphQLInstrumentation'),
  },
  grpc: {
    triggers: ['@grpc/grpc-js'],
    package: '@opentelemetry/instrumentation-grpc',
    supports: '@grpc/grpc-js 1',
    build: official('@opentelemetry/instrumentation-grpc', 'GrpcInstrumentation'),
  },
  pg: {
    triggers: ['pg', 'pg-pool'],
    package: '@opentelemetry/instrumentation-pg',
    supports: 'pg 8.0.3–8, pg-pool 2, 3',
    build: official('@opentelemetry/instrumentation-pg', 'PgInstrumentation'),
  },
  mysql2: {
    triggers: ['mysql2'],
    package: '@opentelemetry/instrumentation-mysql2',
    supports: 'mysql2 1.4.2–3',
    build: official('@opentelemetry/instrumentation-mysql2', 'MySQL2Instrumentation'),
  },
  mysql: {
    triggers: ['mysql'],
    package: '@opentelemetry/instrumentation-mysql',
    supports: 'mysql 2',
    build: official('@opentelemetry/instrumentation-mysql', 'MySQLInstrumentation'),
  },
  mongodb: {
    triggers: ['mongodb'],
    package: '@opentelemetry/instrumentation-mongodb',
    supports: 'mongodb 3.3–7',
    build: official('@opentelemetry/instrumentation-mongodb', 'MongoDBInstrumentation'),
  },
  mongoose: {
    triggers: ['mongoose'],
    package: '@opentelemetry/instrumentation-mongoose',
    supports: 'mongoose 5.9.7–9',
    build: official('@opentelemetry/instrumentation-mongoose', 'MongooseInstrumentation'),
  },
  ioredis: {
    triggers: ['ioredis'],
    package: '@opentelemetry/instrumentation-ioredis',
    supports: 'ioredis 2–6',
    build: official('@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'),
  },
  redis: {
    triggers: ['redis', '@redis/client', '@node-redis/client'],
    package: '@opentelemetry/instrumentation-redis',
    supports: 'redis 2.6–3, @redis/client 1, 5, 6, @node-redis/client 1',
    build: official('@opentelemetry/instrumentation-redis', 'RedisInstrumentation'),
  },
  kafkajs: {
    triggers: ['kafkajs'],
    package: '@opentelemetry/instrumentation-kafkajs',
    supports: 'kafkajs 0.3–2',
    build: official('@opentelemetry/instrumentation-kafkajs', 'KafkaJsInstrumentation'),
  },
  amqplib: {
    triggers: ['amqplib'],
    package: '@opentelemetry/instrumentation-amqplib',
    supports: 'amqplib 0.5.5–2',
    build: official('@opentelemetry/instrumentation-amqplib', 'AmqplibInstrumentation'),
  },
  pino: {
    triggers: ['pino'],
    package: '@opentelemetry/instrumentation-pino',
    supports: 'pino 5.14–10',
    build: official('@opentelemetry/instrumentation-pino', 'PinoInstrumentation', ({ logCorrelation }) => ({
      disableLogSending: true,
      logHook: logCorrelationHook(logCorrelation),
    })),
  },
  winston: {
    triggers: ['winston'],
    package: '@opentelemetry/instrumentation-winston',
    supports: 'winston 1–3',
    build: official('@opentelemetry/instrumentation-winston', 'WinstonInstrumentation', ({ logCorrelation }) => ({
      disableLogSending: true,
      logHook: logCorrelationHook(logCorrelation),
    })),
  },
};

/** Accepts `express` and `@opentelemetry/instrumentation-express`; undefined for names we do not ship. */
export function instrumentationNamed(name: string): InstrumentationName | undefined {
  const short = name.replace(/^@opentelemetry\/instrumentation-/, '');
  return (INSTRUMENTATION_NAMES as readonly string[]).includes(short) ? (short as InstrumentationName) : undefined;
}
