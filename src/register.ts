/**
 * `node --require otel-xray-datadog/register app.js`: starts tracing from the
 * environment before the application's first require. Inside Lambda it also
 * registers the ES module hook when the runtime will import() the handler.
 */
import { startFromPreload } from './preload';

startFromPreload('lambda');
