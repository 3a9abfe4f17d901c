// Last invocation per function, cheaply: the dispatcher (src/gateway/dispatch.ts) touches a function
// each time the guard chain admits an invocation of it, which only sets a timestamp in memory; the
// timestamps are written to the store in one transaction per flush interval (like capability use,
// src/policy/usage.ts), so a hot function costs one upsert per interval, not one per call. A crash
// forgets at most one interval: `bulwark inventory` may then show a last invocation that is that much
// too early (it is never later than the truth).

import type { FunctionLifecycleStore } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface LastSeen {
  touch(name: string): void;
  /** Writes what is pending now (inventory calls it so that it reports the last second). */
  flush(): Promise<void>;
  /** Stops the timer and writes what is pending. */
  close(): Promise<void>;
}

export function startLastSeen(deps: { store: Pick<FunctionLifecycleStore, 'recordInvocations'>; logger: Logger; flushIntervalMs: number; now?: () => number }): LastSeen {
  const now = deps.now ?? Date.now;
  // Bounded by the number of deployed functions: only admitted invocations touch, and the chain only
  // admits invocations of functions that exist.
  let pending = new Map<string, number>();
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    writing = writing.then(async () => {
      if (pending.size === 0) return;
      const batch = [...pending].map(([name, at]) => ({ name, at: new Date(at).toISOString() }));
      pending = new Map();
      try {
        await deps.store.recordInvocations(batch);
      } catch (err) {
        deps.logger.error({ err, functions: batch.length }, 'last invocations not recorded');
      }
    });
    return writing;
  }

  const timer = setInterval(() => void flush(), deps.flushIntervalMs);
  timer.unref();
  return {
    touch(name) {
      pending.set(name, now());
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
    },
  };
}
