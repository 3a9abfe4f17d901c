// Token buckets per client address, before anything that costs work (authentication, body parsing,
// injection scanning): one address cannot take more than its share of the gateway, whatever it sends and
// whether or not it holds a credential. Per-caller and per-function limits need an authenticated caller
// and run later, in caller-rate-limit (docs/guards/rate-limit.md explains why they are split).
//
// This guard publishes nothing itself: the gateway records each refusal as guard.rejected, which the
// abuse scorer counts towards blocking the address (src/abuse/scorer.ts).

import type { RateLimitRule } from '../../config.ts';
import { createTokenBuckets } from '../../limits/token-buckets.ts';
import { bucketSpec, rateLimited } from '../rate-limited.ts';
import { pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'rate-limit',
  phase: 'admission',
  description: 'Limits the request rate of each client address (token buckets)',
  errors: ['BWK_E_GUARD_RATE_LIMITED'],
} as const satisfies GuardMeta;

export interface RateLimitOptions {
  /** config rateLimit.perAddress; null: no per-address limit. */
  perAddress: RateLimitRule | null;
  /** config rateLimit.maxTracked: addresses remembered (least recently seen forgotten beyond it). */
  maxTracked: number;
}

export function create(opts: RateLimitOptions, deps: { now?: () => number } = {}): Guard {
  const spec = bucketSpec(opts.perAddress);
  const buckets = createTokenBuckets({ maxBuckets: opts.maxTracked, ...(deps.now ? { now: deps.now } : {}) });
  return async function rateLimit(req) {
    // Queue messages are paced by their consumer, and scheduled runs by their schedule: a backlog drained
    // quickly must not be refused (and dead-lettered) for arriving at the speed it is read.
    if (!spec || req.source !== 'http') return pass();
    const waitMs = buckets.take(req.sourceIp, spec);
    return waitMs === 0 ? pass() : rateLimited('per-address', waitMs, { address: req.sourceIp });
  };
}
