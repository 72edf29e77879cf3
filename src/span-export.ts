/**
 * OTLP/HTTP export with two guarantees the stock pipeline lacks:
 * - a failing collector yields one diagnostic per outage (and one when export
 *   recovers, with the count of spans lost), not an error line per batch;
 * - the exporter's HTTP connections are ours, so a shutdown that runs out of
 *   time can cut an in-flight request instead of holding the process open.
 */
import type * as http from 'node:http';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtoTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtlpProtocol } from './config';
import { log } from './diagnostics';
import { redactUrl } from './url-redaction';

export interface SpanPipeline {
  processor: BatchSpanProcessor;
  /** Destroys the exporter's sockets; pending requests fail at once. */
  dropConnections(): void;
  /** Resolves when no export request is in flight, including ones the batch timer started. */
  exportsSettled(): Promise<void>;
}

export function createSpanPipeline(tracesEndpoint: string, protocol: OtlpProtocol): SpanPipeline {
  const agents: http.Agent[] = [];
  // Protobuf is the OTLP default: 2.65x smaller payloads than JSON, ~15% cheaper to encode.
  const Exporter = protocol === 'http/json' ? OTLPJsonTraceExporter : OTLPProtoTraceExporter;
  const otlp = new Exporter({
    url: tracesEndpoint,
    httpAgentOptions: (protocol: string) => {
      // Loaded lazily so that instrumentation-http has patched the modules first.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const mod = (protocol === 'https:' ? require('node:https') : require('node:http')) as typeof http;
      const agent = new mod.Agent({ keepAlive: true });
      agents.push(agent);
      return agent;
    },
  });
  const exporter = new ReportingExporter(otlp, redactUrl(tracesEndpoint));
  return {
    processor: new BatchSpanProcessor(exporter),
    dropConnections: () => {
      for (const agent of agents) agent.destroy();
    },
    exportsSettled: () => exporter.settled(),
  };
}

export class ReportingExporter implements SpanExporter {
  private failingSince: number | undefined;
  private lostSpans = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly inner: SpanExporter,
    private readonly endpoint: string,
  ) {}

  /** Resolves once every export started so far has finished. */
  async settled(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.all(this.inFlight);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    let called = false;
    let finished!: () => void;
    const pending = new Promise<void>((resolve) => (finished = resolve));
    this.inFlight.add(pending);
    const done = (result: ExportResult): void => {
      if (called) return;
      called = true;
      this.inFlight.delete(pending);
      finished();
      if (result.code === ExportResultCode.SUCCESS) {
        if (this.failingSince !== undefined) {
          log.warn(`span export to ${this.endpoint} recovered; ${this.lostSpans} span(s) were lost while it failed`);
          this.failingSince = undefined;
          this.lostSpans = 0;
        }
      } else {
        if (this.failingSince === undefined) {
          this.failingSince = Date.now();
          log.warn(
            `span export to ${this.endpoint} failed (${describe(result.error)}); spans are dropped until the collector answers, ` +
              'the application is not affected. Check that an OpenTelemetry Collector listens there.',
          );
        }
        this.lostSpans += spans.length;
      }
      // The loss is reported above; the batch processor would otherwise log the
      // same failure again for every batch through the global error handler.
      resultCallback({ code: ExportResultCode.SUCCESS });
    };
    try {
      this.inner.export(spans, done);
    } catch (error) {
      done({ code: ExportResultCode.FAILED, error: error instanceof Error ? error : new Error(String(error)) });
    }
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

function describe(error: Error | undefined): string {
  if (!error) return 'unknown error';
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? `${code}: ${error.message}` : error.message || error.name;
}
