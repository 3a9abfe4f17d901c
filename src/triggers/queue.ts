// The queue consumer: one bus subscription per (function, subject) for every queue trigger of every
// active function version, kept in step with deploys, rollbacks and removals (sync). Each message is
// delivered by delivery.ts (guard chain, sandbox, retries, dead letters); the consumer only routes and
// keeps count of what is in flight, so close() can let every accepted message finish or be dead-lettered.

import type { EventBus, Unsubscribe } from '../bus/bus.ts';
import type { FunctionVersion } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Delivery } from './delivery.ts';
import { buildQueueEvent } from './events.ts';
import { decodePublication } from './message.ts';

export interface QueueConsumer {
  /** Subscribes the active version's subjects and drops the others; `fn` undefined: the function is gone. */
  sync(name: string, fn: FunctionVersion | undefined): void;
  /** Names of the functions consuming `subject`, sorted. */
  consumersOf(subject: string): string[];
  /** Unsubscribes everything, then waits for every message in flight to be delivered or dead-lettered. */
  close(): Promise<void>;
}

export function createQueueConsumer(deps: { bus: EventBus; deliver: (d: Delivery) => Promise<void>; logger: Logger }): QueueConsumer {
  /** name → subject → its subscription, and the version it was routed for. */
  const subscriptions = new Map<string, Map<string, { off: Unsubscribe; version: number }>>();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  function subscribe(name: string, subject: string, version: number): Unsubscribe {
    return deps.bus.subscribeMessages(subject, (message) => {
      const publication = decodePublication(message);
      const body = Buffer.from(message.data);
      const routed = subscriptions.get(name)?.get(subject)?.version ?? version;
      const firstAttemptAt = Date.now();
      const delivery: Delivery = {
        source: 'queue',
        functionName: name,
        routedVersion: routed,
        messageId: publication.messageId,
        subject,
        body,
        principal: publication.publisher,
        sourceIp: publication.sourceIp,
        triggerOf: (fn) => (fn.manifest.triggers.queue.some((t) => t.subject === subject) ? { kind: 'queue', subject } : undefined),
        event: (attempt) => buildQueueEvent({
          messageId: publication.messageId, subject, body: body.toString('utf8'), publishedAt: publication.publishedAt,
          attempt, firstAttemptAt, publisher: publication.publisher?.actor ?? 'unknown', functionName: name,
        }),
      };
      const running = deps.deliver(delivery).catch((err: unknown) => {
        // deliver() dead-letters every failure itself; reaching here is a bug, and the log keeps the message.
        deps.logger.error({ err, function: name, subject, messageId: publication.messageId, payload: body.toString('utf8', 0, 4096) }, 'queue delivery failed unexpectedly');
      });
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running));
    });
  }

  return {
    sync(name, fn) {
      if (closed) return;
      // An expired version keeps its subscriptions: its messages are dead-lettered as expired, not dropped.
      const wanted = new Set(fn ? fn.manifest.triggers.queue.map((t) => t.subject) : []);
      const current = subscriptions.get(name) ?? new Map<string, { off: Unsubscribe; version: number }>();
      for (const [subject, sub] of current) {
        if (!wanted.has(subject)) {
          sub.off();
          current.delete(subject);
        }
      }
      for (const subject of wanted) {
        const sub = current.get(subject);
        if (sub) sub.version = fn!.version;
        else current.set(subject, { off: subscribe(name, subject, fn!.version), version: fn!.version });
      }
      if (current.size > 0) subscriptions.set(name, current);
      else subscriptions.delete(name);
      deps.logger.debug({ function: name, version: fn?.version, subjects: [...wanted] }, 'queue subscriptions synced');
    },

    consumersOf(subject) {
      return [...subscriptions].filter(([, subs]) => subs.has(subject)).map(([name]) => name).sort();
    },

    async close() {
      closed = true;
      for (const subs of subscriptions.values()) for (const sub of subs.values()) sub.off();
      subscriptions.clear();
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}
