// The embedded event bus: subscribers in this process, called synchronously in publish order.
// Each subscriber gets its own structured clone of the event (and its own copy of a message's bytes and
// headers), as it would from a networked bus after serialisation, so one subscriber mutating an event
// can never change what another one sees — or what the audit ledger records. A subscriber that throws
// or rejects is reported to `onError` and skipped; publishing must never fail because a consumer did.

import { BulwarkError } from '../../errors.ts';
import type { BusMessage, EventBus, Topic, TopicMap } from '../bus.ts';
import { subjectProblem } from '../subject.ts';

export interface InProcessBusOptions {
  /** Called when a subscriber throws or rejects (`topic` is the subject for messages). Default: ignore (pass a logger in production). */
  onError?: (err: unknown, topic: string) => void;
}

type Handler = (event: never) => void | Promise<void>;
type MessageHandler = (message: BusMessage) => void | Promise<void>;

function checkSubject(subject: string): void {
  const problem = subjectProblem(subject);
  if (problem) throw new BulwarkError('BWK_E_BUS_SUBJECT_INVALID', [problem]);
}

/** Calls `handler`, sending a throw or a rejection to `report` instead of to the publisher. */
function deliver<T>(handler: (value: T) => void | Promise<void>, value: T, report: (err: unknown) => void): void {
  try {
    const result = handler(value);
    if (result && typeof result.then === 'function') result.then(undefined, report);
  } catch (err) {
    report(err);
  }
}

export function createInProcessBus(opts: InProcessBusOptions = {}): EventBus {
  const subscribers = new Map<Topic, Set<Handler>>();
  const messageSubscribers = new Map<string, Set<MessageHandler>>();
  let closed = false;
  const report = (err: unknown, topic: string) => {
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
        deliver(handler as (e: TopicMap[T]) => void | Promise<void>, structuredClone(event), (err) => report(err, topic));
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

    async publishMessage(message) {
      if (closed) throw new BulwarkError('BWK_E_BUS_UNAVAILABLE', ['in-process']);
      checkSubject(message.subject);
      for (const handler of [...(messageSubscribers.get(message.subject) ?? [])]) {
        const copy: BusMessage = { subject: message.subject, data: new Uint8Array(message.data), headers: { ...message.headers } };
        deliver(handler, copy, (err) => report(err, message.subject));
      }
    },

    subscribeMessages(subject, handler) {
      checkSubject(subject);
      const set = messageSubscribers.get(subject) ?? new Set<MessageHandler>();
      messageSubscribers.set(subject, set);
      const entry: MessageHandler = (m) => handler(m);
      set.add(entry);
      return () => {
        set.delete(entry);
        if (set.size === 0 && messageSubscribers.get(subject) === set) messageSubscribers.delete(subject);
      };
    },

    async close() {
      closed = true;
      subscribers.clear();
      messageSubscribers.clear();
    },
  };
}
