/**
 * Libraries that publish on diagnostics_channel (undici and so global
 * fetch(), fastify) are seen even when a bundle inlines them, with no plugin:
 * the channel is process-wide. A subscription costs nothing at start-up; the
 * first message loads the instrumentation, which subscribes its own handlers
 * then. Those were not subscribed when the message was published, so they are
 * handed that message afterwards (replayed): the first request is traced too.
 */
import type * as DiagnosticsChannel from 'node:diagnostics_channel';

/* eslint-disable @typescript-eslint/no-require-imports -- the channel module is reached only where an instrumentation has channels */

type OnMessage = (message: unknown, name: string | symbol) => void;

/** Set by the on-demand loader: builds the instrumentation that owns `channel` and replays `message` to it. */
export const CHANNEL_TRIGGER_HOOK = Symbol.for('otel-xray-datadog.channel-trigger');
export type ChannelTrigger = (channel: string, message: unknown) => void;

function channels(): typeof DiagnosticsChannel {
  return require('node:diagnostics_channel') as typeof DiagnosticsChannel;
}

/** Calls `onFirst` for the first message on any of `names`, then stops listening to all of them. */
export function onFirstMessage(names: readonly string[], onFirst: (name: string, message: unknown) => void): void {
  if (names.length === 0) return;
  const dc = channels();
  let fired = false;
  const handlers = names.map((name) => {
    const handler: OnMessage = (message) => {
      if (fired) return;
      fired = true;
      for (const [i, other] of names.entries()) dc.unsubscribe(other, handlers[i]!);
      onFirst(name, message);
    };
    dc.subscribe(name, handler);
    return handler;
  });
}

/** Runs `build`, and returns the handlers it subscribed, by channel name. */
export function subscriptionsOf(build: () => void): Map<string, OnMessage[]> {
  const dc = channels() as unknown as { subscribe(name: string | symbol, onMessage: OnMessage): void };
  const original = dc.subscribe;
  const captured = new Map<string, OnMessage[]>();
  dc.subscribe = function (name, onMessage) {
    if (typeof name === 'string') captured.set(name, [...(captured.get(name) ?? []), onMessage]);
    return original.call(this, name, onMessage);
  };
  try {
    build();
  } finally {
    dc.subscribe = original;
  }
  return captured;
}

export function channelTrigger(): ChannelTrigger | undefined {
  const hook = (globalThis as Record<symbol, unknown>)[CHANNEL_TRIGGER_HOOK];
  return typeof hook === 'function' ? (hook as ChannelTrigger) : undefined;
}

export function setChannelTrigger(trigger: ChannelTrigger): void {
  (globalThis as Record<symbol, unknown>)[CHANNEL_TRIGGER_HOOK] = trigger;
}
