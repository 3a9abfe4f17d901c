// Token buckets per authenticated caller (API key or JWT subject) and per function, after authn and
// authz. Only a request whose credential was verified is charged to that caller: a bucket keyed by a key
// id taken from an unauthenticated request would let anyone drain a victim's bucket by sending the
// victim's key id with a wrong secret. The per-function bucket is charged only for callers allowed to
// call the function, so a flood of refused credentials cannot starve the function's real callers either.
// Per-address limiting, which needs no credential, runs first in the chain (rate-limit).
//
// The caller's bucket is taken first: a caller over its own limit does not use up the function's.

import type { RateLimitRule } from '../../config.ts';
import { createTokenBuckets, type BucketSpec } from '../../limits/token-buckets.ts';
import type { CallerThrottles } from '../../limits/caller-throttles.ts';
import { bucketSpec, rateLimited } from '../rate-limited.ts';
import { pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'caller-rate-limit',
  phase: 'identity',
  description: 'Limits the request rate of each authenticated caller and of each function (token buckets)',
  errors: ['BWK_E_GUARD_RATE_LIMITED'],
} as const satisfies GuardMeta;

export interface CallerRateLimitOptions {
  /** config rateLimit.perCaller; null: no per-caller limit. */
  perCaller: RateLimitRule | null;
  /** config rateLimit.perFunction, for functions whose manifest sets no limits.rate; null: none. */
  perFunction: RateLimitRule | null;
  /** config rateLimit.maxTracked, per kind of bucket. */
  maxTracked: number;
}

export interface CallerRateLimitDeps {
  now?: () => number;
  /** Callers put on a stricter rate by an incident playbook (src/limits/caller-throttles.ts). */
  throttles?: CallerThrottles;
}

export function create(opts: CallerRateLimitOptions, deps: CallerRateLimitDeps = {}): Guard {
  const perCaller = bucketSpec(opts.perCaller);
  const perFunction = bucketSpec(opts.perFunction);
  const clock = deps.now ? { now: deps.now } : {};
  const callers = createTokenBuckets({ maxBuckets: opts.maxTracked, ...clock });
  const functions = createTokenBuckets({ maxBuckets: opts.maxTracked, ...clock });
  // Separate buckets: a throttle's spec differs from perCaller, and a bucket is only meaningful under one spec.
  const throttled = createTokenBuckets({ maxBuckets: opts.maxTracked, ...clock });
  return async function callerRateLimit(req) {
    // HTTP only, for the reason given in rate-limit.
    if (req.source !== 'http') return pass();
    const p = req.principal;
    // Anonymous callers of public routes have no identity beyond their address, limited by rate-limit.
    if (p && p.kind !== 'anonymous') {
      const throttle = deps.throttles?.get(p.actor);
      if (throttle) {
        const waitMs = throttled.take(p.actor, throttle.spec);
        if (waitMs > 0) return rateLimited('throttled', waitMs, { actor: p.actor });
      } else if (perCaller) {
        const waitMs = callers.take(p.actor, perCaller);
        if (waitMs > 0) return rateLimited('per-caller', waitMs, { actor: p.actor });
      }
    }
    const manifestRate = req.fn.manifest.limits.rate;
    const fnSpec: BucketSpec | null = manifestRate ? { rate: manifestRate, burst: manifestRate.count } : perFunction;
    if (fnSpec) {
      const waitMs = functions.take(req.fn.name, fnSpec);
      if (waitMs > 0) return rateLimited('per-function', waitMs, { function: req.fn.name });
    }
    return pass();
  };
}
