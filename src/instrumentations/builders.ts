/**
 * How each instrumentation of the catalog (loading/instrumentation-catalog.ts)
 * is built: the official package's class, with our options where we need
 * them, or our own. Runs only when the instrumentation's trigger fires, so a
 * package is loaded only then.
 */
import type { Instrumentation, InstrumentationModuleDefinition } from '@opentelemetry/instrumentation';
import { logCorrelationHook, type LogCorrelation } from '../datadog/log-correlation';
import type { InstrumentationName } from '../loading/instrumentation-catalog';
import type { MessagingSettings } from '../config/resolved-config';
import { loadInstrumentationPackage } from './package-loader';

/* eslint-disable @typescript-eslint/no-require-imports -- our own instrumentations are loaded only when their trigger fires */

export interface BuildContext {
  logCorrelation: LogCorrelation;
  messaging: MessagingSettings;
}

type Builder = (context: BuildContext) => Instrumentation;

const official =
  <T>(pkg: string, exportName: string, options?: (context: BuildContext) => T): Builder =>
  (context) => {
    const Class = loadInstrumentationPackage(pkg)[exportName] as new (config?: T) => Instrumentation;
    if (typeof Class !== 'function') throw new Error(`${pkg} has no ${exportName}`);
    return new Class(options?.(context));
  };

/**
 * `import mysql from 'mysql'` hands the instrumentation the ES module namespace of a CommonJS
 * package. An instrumentation that wraps module-level functions without looking at `default`
 * (mysql's createPool / createConnection) wraps only the namespace's named bindings, and the
 * default export -- the CommonJS module object the app calls -- stays unwrapped: no span. This
 * subclass patches that object and re-exports its wrapped functions on the namespace.
 */
const patchingDefaultExport =
  (pkg: string, exportName: string): Builder =>
  () => {
    type Base = new () => Instrumentation & { init(): InstrumentationModuleDefinition | InstrumentationModuleDefinition[] | void };
    const Class = loadInstrumentationPackage(pkg)[exportName] as Base;
    if (typeof Class !== 'function') throw new Error(`${pkg} has no ${exportName}`);
    const commonJsOf = (exports: Record<string | symbol, unknown>) =>
      exports?.[Symbol.toStringTag] === 'Module' && exports.default !== null && typeof exports.default === 'object' ? (exports.default as Record<string, unknown>) : exports;
    class DefaultExportPatching extends Class {
      override init() {
        const definitions = super.init();
        for (const definition of [definitions ?? []].flat()) {
          const { patch, unpatch } = definition;
          if (patch)
            definition.patch = (exports, version) => {
              const target = commonJsOf(exports);
              patch(target, version);
              if (target !== exports) for (const key of Object.keys(exports)) if (key !== 'default' && exports[key] !== target[key]) exports[key] = target[key];
              return exports;
            };
          if (unpatch) definition.unpatch = (exports, version) => unpatch(commonJsOf(exports), version);
        }
        return definitions;
      }
    }
    return new DefaultExportPatching();
  };

// Logs carry Datadog's ids and unified tags; the instrumentations' own log sending stays off.
const logOptions = ({ logCorrelation }: BuildContext) => ({ disableLogSending: true, logHook: logCorrelationHook(logCorrelation) });

export const BUILDERS: Readonly<Record<InstrumentationName, Builder>> = {
  http: official('@opentelemetry/instrumentation-http', 'HttpInstrumentation'),
  undici: official('@opentelemetry/instrumentation-undici', 'UndiciInstrumentation'),
  // The official instrumentation, with our trace context on requests and messages.
  'aws-sdk': ({ messaging }) => (require('../messaging/aws-sdk/instrumentation') as typeof import('../messaging/aws-sdk/instrumentation')).createAwsSdkInstrumentation(messaging),
  'aws-lambda': () => {
    throw new Error('aws-lambda is built from the handler location (lambda/handler-instrumentation.ts)');
  },
  express: official('@opentelemetry/instrumentation-express', 'ExpressInstrumentation'),
  koa: official('@opentelemetry/instrumentation-koa', 'KoaInstrumentation'),
  hapi: official('@opentelemetry/instrumentation-hapi', 'HapiInstrumentation'),
  'nestjs-core': official('@opentelemetry/instrumentation-nestjs-core', 'NestInstrumentation'),
  fastify: () => (require('./fastify-routes') as typeof import('./fastify-routes')).createFastifyRouteInstrumentation(),
  graphql: official('@opentelemetry/instrumentation-graphql', 'GraphQLInstrumentation'),
  grpc: official('@opentelemetry/instrumentation-grpc', 'GrpcInstrumentation'),
  pg: official('@opentelemetry/instrumentation-pg', 'PgInstrumentation'),
  mysql2: official('@opentelemetry/instrumentation-mysql2', 'MySQL2Instrumentation'),
  mysql: patchingDefaultExport('@opentelemetry/instrumentation-mysql', 'MySQLInstrumentation'),
  mongodb: official('@opentelemetry/instrumentation-mongodb', 'MongoDBInstrumentation'),
  mongoose: official('@opentelemetry/instrumentation-mongoose', 'MongooseInstrumentation'),
  ioredis: official('@opentelemetry/instrumentation-ioredis', 'IORedisInstrumentation'),
  redis: official('@opentelemetry/instrumentation-redis', 'RedisInstrumentation'),
  kafkajs: official('@opentelemetry/instrumentation-kafkajs', 'KafkaJsInstrumentation'),
  amqplib: official('@opentelemetry/instrumentation-amqplib', 'AmqplibInstrumentation'),
  pino: official('@opentelemetry/instrumentation-pino', 'PinoInstrumentation', logOptions),
  winston: official('@opentelemetry/instrumentation-winston', 'WinstonInstrumentation', logOptions),
};
