// Token buckets keyed by whoever is being limited (a client address, a caller, a function), in a map of
// bounded size. Each bucket holds up to `burst` tokens and refills at rate.count per rate.perMs; a request
// takes one token or is told how long until one is there.
//
// Bounded on purpose: the keys come from the network, and an attacker with many addresses must not be
// able to grow the gateway's memory without limit. The map is kept in least-recently-used order and the
// oldest bucket is dropped beyond `maxBuckets`. Forgetting a bucket is the same as the bucket being full,
// so eviction loses nothing for a key idle long enough to have refilled (burst / rate); it only lets a
// key that was mid-burst start over when more than `maxBuckets` other keys were seen since its last
// request. That is the trade-off: memory stays O(maxBuckets) whatever the traffic, and an attacker able to
// cycle through more than maxBuckets addresses faster than a bucket refills gets at most one extra
// burst per address per cycle (see docs/guards/rate-limit.md).

import type { Rate } from './rate.ts';
import { leastRecentlyUsed } from './lru-order.ts';

export interface BucketSpec {
  rate: Rate;
  /** Largest number of requests accepted back to back (the bucket's capacity). */
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

export interface TokenBuckets {
  /** Takes one token from `key`'s bucket: 0 when taken, else the milliseconds until one is available. */
  take(key: string, spec: BucketSpec): number;
  readonly size: number;
}

export function createTokenBuckets(opts: { maxBuckets: number; now?: () => number }): TokenBuckets {
  const now = opts.now ?? (() => performance.now());
  const buckets = new Map<string, Bucket>();
  const oldest = leastRecentlyUsed(buckets);
  return {
    get size() {
      return buckets.size;
    },
    take(key, spec) {
      const t = now();
      const perMs = spec.rate.count / spec.rate.perMs;
      const bucket = buckets.get(key);
      let tokens = spec.burst;
      if (bucket) {
        buckets.delete(key); // re-inserted below: Map order is the LRU order
        tokens = Math.min(spec.burst, bucket.tokens + (t - bucket.at) * perMs);
      } else if (buckets.size >= opts.maxBuckets) {
        buckets.delete(oldest()!);
      }
      const wait = tokens >= 1 ? 0 : Math.ceil((1 - tokens) / perMs);
      buckets.set(key, { tokens: wait === 0 ? tokens - 1 : tokens, at: t });
      return wait;
    },
  };
}
