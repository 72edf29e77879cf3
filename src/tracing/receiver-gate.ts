/**
 * The span exporter, with a memory of how the receiver has behaved, so that a
 * dead, hung or slow receiver costs one invocation (one flush) and not every
 * one after it:
 *
 *   healthy  exports are sent as the batch processor hands them over, and a
 *            flush waits for them (within its budget) until they are written
 *            (a Lambda invocation) or answered (a host's forceFlush, shutdown);
 *   slow     MAX_UNANSWERED requests are still waiting for an answer (it hangs,
 *            or answers slower than we send): spans are sent one request at a
 *            time in the background;
 *   down     the last request failed (refused, reset, no DNS name, 429/5xx,
 *            no answer within its timeout) or a flush gave up waiting for it:
 *            spans are held, and sent again in the background with exponential
 *            backoff.
 * While not healthy, a flush waits at most RECHECK_WAIT_MS, and only for a
 * background request it started itself. "Slow" is counted in unanswered
 * requests, not in milliseconds: in Lambda the clock runs on while the sandbox
 * is frozen between invocations, so an answer read after a thaw looks late.
 *
 * An answer that leaves fewer than MAX_UNANSWERED requests waiting makes the
 * receiver healthy again and the held spans go out behind it. The held spans are bounded (`maxHeldSpans`, oldest
 * dropped first); what the bound drops is counted and reported once per
 * outage, in the line that says the receiver is back. That line follows an
 * outage whose warning was printed, or one that lost spans: a receiver that
 * falls behind again and again is not worth a pair of lines each time. Spans the receiver
 * rejects (400 and the like) are dropped, not sent again: they would be
 * rejected again. Each kind of trouble is explained once per process, with
 * the setting that fixes it; what was lost is counted at shutdown.
 *
 * The batch processor always hears "success": the loss, if any, is ours to
 * count and report, and it would otherwise log every failed batch again.
 */
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { settleWithin } from './bounded';
import { log } from '../config/diagnostics';
import type { FailureKind, SendOutcome } from './otlp-transport';

/** How long a flush waits, while the receiver is not healthy, for the request that tells whether it is back. */
export const RECHECK_WAIT_MS = 4;
/** Backoff between attempts while the receiver is down: first, and at most. */
export const FIRST_BACKOFF_MS = 500;
export const MAX_BACKOFF_MS = 30_000;
/** Spans in one background request. */
const MAX_SPANS_PER_REQUEST = 512;
/**
 * Requests waiting for an answer at which the receiver counts as slow. Not 2:
 * a healthy local receiver sharing a small Lambda's CPU, or short invocations
 * back to back, leave two requests unanswered now and then (measured), and
 * each false alarm would hold spans back. 4 still bounds the open requests.
 */
export const MAX_UNANSWERED = 4;

export type ReceiverState = 'healthy' | 'slow' | 'down';

export interface GateOptions {
  /** The endpoint as it may be printed (redacted). */
  endpoint: string;
  /** Most spans held while the receiver is down or slow. */
  maxHeldSpans: number;
  /** What to tell the user to check when nothing answers (differs in Lambda). */
  unreachableAdvice: string;
  /** Sends spans once; never rejects. `onWritten`: the request has been handed to the operating system. */
  send(spans: ReadableSpan[], background: boolean, onWritten?: () => void): Promise<SendOutcome>;
  now?: () => number;
}

export class ReceiverGate implements SpanExporter {
  private state: ReceiverState = 'healthy';
  private readonly held: ReadableSpan[] = [];
  /** Spans dropped by the bound since the last recovery line. */
  private dropped = 0;
  /** Spans the receiver rejected, since start. */
  private rejected = 0;
  private outageStarted: number | undefined;
  /** The current outage's warning was printed: its end is worth a line too. */
  private outageAnnounced = false;
  private failures = 0;
  private nextAttemptAt = 0;
  private lane: Promise<void> | undefined;
  /** A background request started since the last flush waited: the one worth a short wait. */
  private recheck: Promise<void> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** Requests in flight while healthy: their answer, and when they were handed to the operating system. */
  private readonly foreground = new Map<Promise<void>, Promise<void>>();
  private readonly explained = new Set<string>();
  private readonly now: () => number;
  private stopped = false;

  constructor(private readonly options: GateOptions) {
    this.now = options.now ?? Date.now;
  }

  /** For tests and diagnostics. */
  get receiverState(): ReceiverState {
    return this.state;
  }

  get heldSpans(): number {
    return this.held.length;
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) {
      this.hold(spans);
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    if (this.state === 'healthy' && this.foreground.size >= MAX_UNANSWERED) {
      const announced = this.explain(
        'slow',
        `span export to ${this.options.endpoint} has ${this.foreground.size} requests waiting for an answer: the receiver hangs or is slower than the spans come. ` +
          `Flushes no longer wait for it; spans are sent one request at a time in the background until it keeps up (up to ${this.options.maxHeldSpans} held, OTEL_XRAY_DD_EXPORT_HELD_SPANS).`,
      );
      this.enter('slow', announced);
    }
    if (this.state !== 'healthy') {
      this.hold(spans);
      this.pump();
      resultCallback({ code: ExportResultCode.SUCCESS });
      return;
    }
    // The batch processor hears back once the request is on its way; the answer still decides what happens to the spans.
    let called = false;
    const callback = (): void => {
      if (called) return;
      called = true;
      resultCallback({ code: ExportResultCode.SUCCESS });
    };
    let markWritten!: () => void;
    const written = new Promise<void>((resolve) => (markWritten = resolve));
    const answered = this.options
      .send(spans, false, () => {
        markWritten();
        callback();
      })
      .then((outcome) => {
        this.foreground.delete(answered);
        markWritten();
        this.settle(outcome, spans, 0);
        callback();
      });
    this.foreground.set(answered, written);
  }

  /**
   * What a flush waits for after the batch processor handed its spans over:
   * while the receiver is healthy, the requests in flight, until they are
   * `written` to the operating system (a Lambda invocation: the bytes reach
   * the local receiver even if the sandbox freezes now) or `answered`; else
   * at most RECHECK_WAIT_MS for the background request, if one is in flight.
   */
  async settled(until: 'written' | 'answered' = 'answered'): Promise<void> {
    if (this.state === 'healthy') {
      if (until === 'written') await Promise.all(this.foreground.values());
      else while (this.foreground.size > 0) await Promise.all(this.foreground.keys());
      return;
    }
    const recheck = this.recheck;
    this.recheck = undefined;
    if (recheck !== undefined) await settleWithin(recheck, RECHECK_WAIT_MS);
  }

  /** A flush ran out of its budget waiting: the receiver is not waited for again until it answers in time. */
  abandonWaiting(budgetMs: number): void {
    if (this.state !== 'healthy' || this.foreground.size === 0) return;
    // The requests in flight finish in the background; their outcome still counts.
    this.foreground.clear();
    this.markDown('timeout', `no answer within the ${budgetMs} ms flush budget`);
  }

  forceFlush(): Promise<void> {
    return this.settled();
  }

  /**
   * Last chance for held spans: one attempt, unless the receiver was seen
   * hanging (waiting for it again would only spend the shutdown bound).
   */
  async shutdown(): Promise<void> {
    if (this.stopped) return;
    await this.settled();
    this.stopped = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    if (this.held.length > 0 && this.lastKind !== 'timeout') {
      await this.lane;
      const batch = this.held.splice(0, this.held.length);
      const outcome = await this.options.send(batch, false);
      if (!outcome.ok) this.held.unshift(...batch);
    }
    const lost = this.held.length + this.dropped + this.rejected;
    if (lost > 0) {
      log.warn(
        `${lost} span(s) could not be sent to ${this.options.endpoint} before shutdown (${this.held.length} held while it was unreachable, ` +
          `${this.dropped} dropped by the bound of ${this.options.maxHeldSpans}, ${this.rejected} rejected by it)`,
      );
    }
    this.held.length = 0;
    this.dropped = 0;
    this.rejected = 0;
  }

  private lastKind: FailureKind | undefined;

  /** `heldSent`: how many of `spans` were held ones (a background request). */
  private settle(outcome: SendOutcome, spans: ReadableSpan[], heldSent: number): void {
    if (!outcome.ok && outcome.kind === 'rejected') {
      this.rejected += spans.length;
      this.explain(
        'rejected',
        `span export to ${this.options.endpoint} was rejected (${outcome.detail}): ${spans.length} span(s) dropped, not sent again (the receiver would refuse them again). ` +
          "Check the receiver's logs; later rejections are counted in the shutdown line.",
      );
      // It answered: as far as waiting goes, it is there.
      if (this.state !== 'healthy' && this.foreground.size < MAX_UNANSWERED) this.recovered(0);
      return;
    }
    if (!outcome.ok) {
      this.hold(spans);
      this.markDown(outcome.kind, outcome.detail);
      return;
    }
    this.failures = 0;
    if (this.state !== 'healthy' && this.foreground.size < MAX_UNANSWERED) this.recovered(heldSent);
  }

  private markDown(kind: FailureKind, detail: string): void {
    this.lastKind = kind;
    this.failures++;
    this.nextAttemptAt = this.now() + Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS * 2 ** (this.failures - 1));
    if (this.state !== 'down') this.enter('down', this.explain(kind, this.describeFailure(kind, detail)));
    this.scheduleAttempt();
  }

  private describeFailure(kind: FailureKind, detail: string): string {
    const held = `flushes no longer wait for it; up to ${this.options.maxHeldSpans} spans are held and sent when it answers again (OTEL_XRAY_DD_EXPORT_HELD_SPANS).`;
    switch (kind) {
      case 'unreachable':
        return `span export to ${this.options.endpoint} failed (${detail}): nothing answers there. ${this.options.unreachableAdvice} The application is not affected: ${held}`;
      case 'timeout':
        return `span export to ${this.options.endpoint} failed (${detail}): the receiver accepts connections but does not answer. Check its health and load; ${held}`;
      case 'unavailable':
      case 'rejected':
        return `span export to ${this.options.endpoint} failed (${detail}): the receiver cannot take spans now. Check its logs and load; ${held}`;
    }
  }

  private enter(state: ReceiverState, announced: boolean): void {
    if (this.state === 'healthy' && state !== 'healthy') {
      this.outageStarted = this.now();
      this.outageAnnounced = false;
    }
    this.outageAnnounced ||= announced;
    this.state = state;
  }

  private recovered(heldSent: number): void {
    const since = this.outageStarted === undefined ? 0 : this.now() - this.outageStarted;
    if (this.outageAnnounced || this.dropped > 0) {
      log.warn(
        `span export to ${this.options.endpoint} recovered after ${Math.round(since / 1000)} s; ${heldSent + this.held.length} held span(s) are being sent, ` +
          `${this.dropped} span(s) were lost while it failed (dropped by the bound of ${this.options.maxHeldSpans})`,
      );
    }
    this.outageAnnounced = false;
    this.dropped = 0;
    this.failures = 0;
    this.outageStarted = undefined;
    this.state = 'healthy';
    this.pump();
  }

  private hold(spans: ReadableSpan[]): void {
    for (const span of spans) this.held.push(span);
    const excess = this.held.length - this.options.maxHeldSpans;
    if (excess > 0) {
      this.held.splice(0, excess);
      this.dropped += excess;
    }
  }

  /** Sends held spans in the background: one request at a time, and while down only when the backoff has passed. */
  private pump(): void {
    if (this.lane !== undefined || this.held.length === 0 || this.stopped) return;
    if (this.state === 'down' && this.now() < this.nextAttemptAt) {
      this.scheduleAttempt();
      return;
    }
    const batch = this.held.splice(0, MAX_SPANS_PER_REQUEST);
    this.lane = this.options.send(batch, true).then((outcome) => {
      this.lane = undefined;
      this.settle(outcome, batch, batch.length);
      if (this.state !== 'down') this.pump();
    });
    this.recheck = this.lane;
  }

  private scheduleAttempt(): void {
    if (this.timer !== undefined || this.stopped) return;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.pump();
      },
      Math.max(0, this.nextAttemptAt - this.now()),
    );
    // Never keeps a process (or a Lambda callback invocation) alive.
    this.timer.unref();
  }

  /** Prints `message` the first time `key` comes up; says whether it did. */
  private explain(key: string, message: string): boolean {
    if (this.explained.has(key)) return false;
    this.explained.add(key);
    log.warn(message);
    return true;
  }
}
