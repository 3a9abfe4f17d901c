// Per-caller rate overrides with an expiry: a caller put on a throttle (by an incident playbook,
// src/incidents/actions.ts) is held to that rate by the caller-rate-limit guard instead of
// rateLimit.perCaller, until the throttle runs out. Kept in memory only: a restart lifts every throttle
// (docs/incidents.md), which errs on the side of serving. Bounded: at most MAX_THROTTLES callers, the
// one running out first dropped beyond that.

import type { BucketSpec } from './token-buckets.ts';

export const MAX_THROTTLES = 10_000;

export interface CallerThrottle {
  actor: string;
  spec: BucketSpec;
  /** Epoch ms. */
  until: number;
  reason: string;
}

export interface CallerThrottles {
  /** Puts `actor` on `spec` until `until`, replacing a throttle it had. */
  set(throttle: CallerThrottle): void;
  /** The throttle in force for `actor`, if any. Runs on every authenticated request. */
  get(actor: string): CallerThrottle | undefined;
  /** Throttles in force. */
  list(): CallerThrottle[];
}

export function createCallerThrottles(deps: { now?: () => number } = {}): CallerThrottles {
  const now = deps.now ?? Date.now;
  const throttles = new Map<string, CallerThrottle>();
  return {
    set(throttle) {
      throttles.delete(throttle.actor);
      if (throttles.size >= MAX_THROTTLES) {
        const t = now();
        for (const [actor, th] of throttles) if (th.until <= t) throttles.delete(actor);
        if (throttles.size >= MAX_THROTTLES) {
          const first = [...throttles.values()].reduce((a, b) => (a.until <= b.until ? a : b));
          throttles.delete(first.actor);
        }
      }
      throttles.set(throttle.actor, throttle);
    },
    get(actor) {
      const th = throttles.get(actor);
      if (!th) return undefined;
      if (th.until > now()) return th;
      throttles.delete(actor);
      return undefined;
    },
    list() {
      const t = now();
      return [...throttles.values()].filter((th) => th.until > t);
    },
  };
}
