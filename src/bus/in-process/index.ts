// The embedded event bus: subscribers in this process, called synchronously in publish order.
// Each subscriber gets its own structured clone of the event, as it would from a networked bus after
// serialisation, so one subscriber mutating an event can never change what another one sees — or what
// the audit ledger records. A subscriber that throws or rejects is reported to `onError` and skipped;
// publishing a security event must never fail because a consumer did.

import { BulwarkError } from '../../errors.ts';
import type { EventBus, Topic, TopicMap } from '../bus.ts';

export interface InProcessBusOptions {
  /** Called when a subscriber throws or rejects. Default: ignore (pass a logger in production). */
  onError?: (err: unknown, topic: Topic) => void;
}

type Handler = (event: never) => void | Promise<void>;

export function createInProcessBus(opts: InProcessBusOptions = {}): EventBus {
  const subscribers = new Map<Topic, Set<Handler>>();
  let closed = false;
  const report = (err: unknown, topic: Topic) => {
    try {
      opts.onError?.(err, topic);
    } catch {
      // The error reporter itself failing must not break delivery either.
    }
  };

  return {
    kind: 'in-process',

    async publish<T extends Topic>(topic: T, event: TopicMap[T]) {
      if (closed) throw new BulwarkError('BWK_E_BUS_UNAVAILABLE', ['in-process']);
      // Snapshot: a handler that subscribes or unsubscribes during delivery affects the next publish.
      for (const handler of [...(subscribers.get(topic) ?? [])]) {
        try {
          const result = (handler as (e: TopicMap[T]) => void | Promise<void>)(structuredClone(event));
          if (result && typeof result.then === 'function') result.then(undefined, (err: unknown) => report(err, topic));
        } catch (err) {
          report(err, topic);
        }
      }
    },

    subscribe<T extends Topic>(topic: T, handler: (event: TopicMap[T]) => void | Promise<void>) {
      const set = subscribers.get(topic) ?? new Set<Handler>();
      subscribers.set(topic, set);
      // Wrapped so the same function subscribed twice is two subscriptions, each removable on its own.
      const entry: Handler = (e) => handler(e as TopicMap[T]);
      set.add(entry);
      return () => {
        set.delete(entry);
      };
    },

    async close() {
      closed = true;
      subscribers.clear();
    },
  };
}
