/**
 * Our diagnostics go through the OpenTelemetry diag logger, so users who
 * already route diag output keep doing so. When nobody has installed a logger
 * we install a console one at OTEL_LOG_LEVEL (default warn); otherwise a bad
 * env value would be silently ignored, which is worse than one stderr line.
 */
import { diag, DiagConsoleLogger, DiagLogLevel, type DiagLogger } from '@opentelemetry/api';
import type { LogLevelName } from './resolved-config';
import { redactUrlsIn } from './url-redaction';

const PREFIX = 'otel-xray-datadog:';

const LEVELS: Record<LogLevelName, DiagLogLevel> = {
  none: DiagLogLevel.NONE,
  error: DiagLogLevel.ERROR,
  warn: DiagLogLevel.WARN,
  info: DiagLogLevel.INFO,
  debug: DiagLogLevel.DEBUG,
  verbose: DiagLogLevel.VERBOSE,
  all: DiagLogLevel.ALL,
};

// The Lambda handler is hooked by its file, and the instrumentation base reads
// its directory as if it were a package: it warns on every cold start when there
// is no package.json version, which is normal for a task root. Nothing actionable.
const BENIGN_WARNINGS = ['Failed extracting version'];

export function installDiagLogger(level: LogLevelName): void {
  const console = new DiagConsoleLogger();
  // Credentials and query strings never reach the console, whoever wrote the message.
  const logger: DiagLogger = {
    error: (message, ...args) => console.error(redactUrlsIn(message), ...args),
    warn: (message, ...args) => {
      if (!BENIGN_WARNINGS.some((w) => message.startsWith(w))) console.warn(redactUrlsIn(message), ...args);
    },
    info: (message, ...args) => console.info(redactUrlsIn(message), ...args),
    debug: (message, ...args) => console.debug(redactUrlsIn(message), ...args),
    verbose: (message, ...args) => console.verbose(redactUrlsIn(message), ...args),
  };
  diag.setLogger(logger, { logLevel: LEVELS[level], suppressOverrideMessage: true });
}

export const log = {
  error: (message: string, ...args: unknown[]): void => diag.error(`${PREFIX} ${message}`, ...args),
  warn: (message: string, ...args: unknown[]): void => diag.warn(`${PREFIX} ${message}`, ...args),
  info: (message: string, ...args: unknown[]): void => diag.info(`${PREFIX} ${message}`, ...args),
  debug: (message: string, ...args: unknown[]): void => diag.debug(`${PREFIX} ${message}`, ...args),
};

/** Logs a message the first time a key is seen, so a repeating failure yields one line, not one per span. */
export function createOnceLogger(): (key: string, message: string) => void {
  const seen = new Set<string>();
  return (key, message) => {
    if (seen.has(key)) return;
    seen.add(key);
    log.warn(message);
  };
}
