/**
 * `node --require otel-xray-datadog/register app.js`: starts tracing from the
 * environment before the application's first require.
 */
import { start } from './start';

start();
