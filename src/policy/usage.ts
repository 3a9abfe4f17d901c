// The run-time half of least-privilege analysis: every `capability.used` / `capability.denied` security
// event the broker publishes (src/runtime/capabilities/) is counted per function, capability, target and
// outcome in memory and written to the store in one batch per flush interval (like the spend ledger), so
// a hot function costs one upsert per distinct target per interval, not one per call. This module is the
// one place that subscribes; `bulwark policy` (src/policy/analyze.ts) reads what it wrote.

import type { EventBus, SecurityEvent } from '../bus/bus.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { CapabilityUse, CapabilityUseStore } from '../store/store.ts';

/** Distinct rows held before a flush is forced: bounds memory under a flood of distinct targets. */
const MAX_PENDING = 10_000;

export interface UsageRecorder {
  /** Writes what is pending now (the policy route calls it so a report includes the last second). */
  flush(): Promise<void>;
  /** Stops listening and writes what is pending. */
  close(): Promise<void>;
}

/** How the policy names an egress grant or target: host:port, IPv6 hosts in brackets. */
export function hostPort(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The row an event counts toward, or undefined when it is not a well-formed capability event. */
export function useOf(event: SecurityEvent): CapabilityUse | undefined {
  if (event.type !== 'capability.used' && event.type !== 'capability.denied') return undefined;
  const capability = event.detail?.capability;
  const target = event.detail?.target;
  if (typeof event.function !== 'string' || typeof capability !== 'string' || typeof target !== 'string') return undefined;
  const at = Date.parse(event.at);
  const seen = Number.isFinite(at) ? at : Date.now();
  return {
    function: event.function, capability, target, outcome: event.type === 'capability.used' ? 'used' : 'denied',
    count: 1, firstSeen: seen, lastSeen: seen,
  };
}

export function startUsageRecorder(deps: { bus: EventBus; store: CapabilityUseStore; logger: Logger; flushIntervalMs: number }): UsageRecorder {
  let pending = new Map<string, CapabilityUse>();
  let writing: Promise<void> = Promise.resolve();

  function flush(): Promise<void> {
    // Serialised: two overlapping batches would still add up, but close() must wait for the last one.
    writing = writing.then(async () => {
      if (pending.size === 0) return;
      const batch = [...pending.values()];
      pending = new Map();
      try {
        await deps.store.record(batch);
      } catch (err) {
        deps.logger.error({ err, rows: batch.length }, 'capability use not recorded');
      }
    });
    return writing;
  }

  const unsubscribe = deps.bus.subscribe('security', (event) => {
    const use = useOf(event);
    if (!use) return;
    const key = JSON.stringify([use.function, use.capability, use.target, use.outcome]);
    const row = pending.get(key);
    if (row) {
      row.count += 1;
      row.firstSeen = Math.min(row.firstSeen, use.firstSeen);
      row.lastSeen = Math.max(row.lastSeen, use.lastSeen);
    } else {
      pending.set(key, use);
      if (pending.size >= MAX_PENDING) void flush();
    }
  });
  const timer = setInterval(() => void flush(), deps.flushIntervalMs);
  timer.unref();

  return {
    flush,
    async close() {
      unsubscribe();
      clearInterval(timer);
      await flush();
    },
  };
}
