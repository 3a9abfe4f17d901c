// The denial-of-wallet brakes as pure rules over one scope's numbers (amounts in nanos). The ledger
// (ledger.ts) applies them atomically; docs/guards/budget.md explains the choices.
//
//   open       spend < throttleAt × limit             everyone, up to the ceiling below
//   throttle   spend ≥ throttleAt × limit             callers in good standing up to the limit; everyone
//                                                      else only up to the open ceiling, which keeps a
//                                                      `reserve` share of the band for the former
//   exhausted  spend + one worst case > limit         nobody
//
// Alerts fire when settled spend reaches 50% and 80% of the limit.

import type { BudgetTier } from '../store/store.ts';

export const ALERT_PERCENTS = [50, 80] as const;

export interface ScopeNumbers {
  /** Settled spend this period. */
  committed: number;
  /** Worst cases reserved for invocations admitted and not yet settled. */
  reserved: number;
  limit: number;
  /** Fraction of the limit where the throttle tier begins. */
  throttleAt: number;
  /** Fraction of the band above throttleAt kept for callers in good standing. */
  reserve: number;
  /** False for per-caller scopes: one caller's own cap has no one else to favour. */
  throttles: boolean;
}

/**
 * What committed + reserved may reach at most when admitting one more invocation: the limit for callers
 * in good standing, the lower open ceiling for everyone else. Reserving against these ceilings is what
 * makes the reserve guaranteed: nobody outside good standing can push spend past the open ceiling, so
 * `limit − openCeiling` is always left for those in it.
 */
export function ceilingFor(s: ScopeNumbers, goodStanding: boolean): number {
  if (!s.throttles || goodStanding) return s.limit;
  return Math.floor(s.limit * (1 - s.reserve * (1 - s.throttleAt)));
}

/** The tier a scope is in, given the worst case of the invocation at hand. */
export function tierOf(s: ScopeNumbers, worstCase: number): BudgetTier {
  if (s.committed + worstCase > s.limit) return 'exhausted';
  if (s.throttles && s.committed >= s.throttleAt * s.limit) return 'throttle';
  return 'open';
}

/**
 * Good standing, precisely: the caller's first successful invocation under this scope (a function, or
 * any function for the global scope) was admitted before the scope entered the throttle tier in the
 * current period — in this period or any earlier one. Never served successfully: not in good standing.
 */
export function inGoodStanding(firstServedAt: number | undefined, throttledAt: number | null): boolean {
  if (firstServedAt === undefined) return false;
  return throttledAt === null || firstServedAt < throttledAt;
}

/** Alert thresholds settled spend has reached and that were not announced yet, lowest first. */
export function alertsDue(committed: number, limit: number, alerted: number): number[] {
  return ALERT_PERCENTS.filter((p) => p > alerted && committed * 100 >= limit * p);
}
