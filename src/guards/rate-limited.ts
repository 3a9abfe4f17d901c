// What the two rate-limit guards (rate-limit: per client address; caller-rate-limit: per caller and per
// function) share: turning a configured rule into a bucket spec, and the one way a limit refuses.

import { BulwarkError } from '../errors.ts';
import type { RateLimitRule } from '../config.ts';
import { parseRate } from '../limits/rate.ts';
import type { BucketSpec } from '../limits/token-buckets.ts';
import { deny, type Deny } from './types.ts';

/** A rule from the config (validated against RATE_PATTERN at load) as a bucket; null stays null (off). */
export function bucketSpec(rule: RateLimitRule | null): BucketSpec | null {
  if (!rule) return null;
  const rate = parseRate(rule.rate);
  if (!rate) throw new TypeError(`rate ${rule.rate} does not match the rate pattern`);
  return { rate, burst: rule.burst };
}

/**
 * 429 with Retry-After: whole seconds until the bucket has a token again, at least 1. `rule` names the
 * bucket (per-address, per-caller, per-function) for the record only; the caller is not told which.
 */
export function rateLimited(rule: string, waitMs: number, detail: Record<string, unknown>): Deny {
  const seconds = Math.max(1, Math.ceil(waitMs / 1000));
  return deny(new BulwarkError('BWK_E_GUARD_RATE_LIMITED', [seconds], detail), { rule, headers: { 'retry-after': String(seconds) } });
}
