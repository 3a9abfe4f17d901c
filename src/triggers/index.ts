// Non-HTTP event sources: the queue consumer and the scheduler, started together by the composition root.
// Both follow the active versions: at start every function is synced, and afterwards each deploy,
// rollback and removal — which the deploy service announces on the security topic — syncs that function
// again. Syncs of one function run one after another; `settled()` waits for those in progress, so the
// publish route sees the consumers of a deploy that has already answered.

import { setMaxListeners } from 'node:events';
import type { EventBus } from '../bus/bus.ts';
import type { Dispatcher } from '../gateway/dispatch.ts';
import type { Store } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { createDeliverer } from './delivery.ts';
import { createQueueConsumer, type QueueConsumer } from './queue.ts';
import { createScheduler } from './scheduler.ts';

export interface TriggersConfig {
  maxAttempts: number;
  retryDelayMs: number;
}

export interface Triggers {
  /** Names of the active functions consuming `subject`, once every sync in progress has finished. */
  consumersOf(subject: string): Promise<string[]>;
  /** Stops the schedules and the subscriptions, then waits for every accepted event to finish. */
  close(): Promise<void>;
}

/** The security events after which a function's triggers may have changed. */
const CHANGES = new Set(['deploy.succeeded', 'function.rolled-back', 'function.removed']);

export async function startTriggers(deps: { store: Store; bus: EventBus; dispatcher: Dispatcher; logger: Logger; config: TriggersConfig }): Promise<Triggers> {
  const closing = new AbortController();
  // Every delivery waiting (for a concurrency permit, for a retry) listens on it: many at once, by design.
  setMaxListeners(0, closing.signal);
  const deliver = createDeliverer({
    store: deps.store, bus: deps.bus, dispatcher: deps.dispatcher, logger: deps.logger,
    maxAttempts: deps.config.maxAttempts, retryDelayMs: deps.config.retryDelayMs, closing: closing.signal,
  });
  const queue: QueueConsumer = createQueueConsumer({ bus: deps.bus, deliver, logger: deps.logger });
  const scheduler = createScheduler({ deliver, logger: deps.logger });
  const syncing = new Map<string, Promise<void>>();

  function sync(name: string): Promise<void> {
    const previous = syncing.get(name) ?? Promise.resolve();
    const next = previous.then(async () => {
      const fn = await deps.store.functions.getActive(name);
      queue.sync(name, fn);
      scheduler.sync(name, fn);
    }).catch((err: unknown) => {
      deps.logger.error({ err, function: name }, 'could not sync the triggers of a function: its queue and schedule triggers may be stale until its next deploy');
    });
    syncing.set(name, next);
    void next.finally(() => {
      if (syncing.get(name) === next) syncing.delete(name);
    });
    return next;
  }

  // Subscribed before the first sync, so a deploy finishing meanwhile is synced again after it.
  const unsubscribe = deps.bus.subscribe('security', (event) => {
    if (CHANGES.has(event.type) && event.function) void sync(event.function);
  });
  await Promise.all((await deps.store.functions.list()).map((f) => sync(f.name)));

  return {
    async consumersOf(subject) {
      while (syncing.size > 0) await Promise.all([...syncing.values()]);
      return queue.consumersOf(subject);
    },
    async close() {
      unsubscribe();
      closing.abort();
      await Promise.all([queue.close(), scheduler.close()]);
    },
  };
}
