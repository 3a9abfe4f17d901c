// Recognises attackers from what they have already done: every client address accumulates a score from
// the security events the gateway publishes about its requests, and an address whose score reaches
// ipBlock.threshold is blocked (blocklist.ts). It reads the `security` topic only, so it sees exactly
// what is recorded, and guards never report to it directly.
//
//   guard.rejected   weight by the refusing guard (ipBlock.weights.guards): injection heavy, rate limits
//                    medium, schema light; guards whose refusals say nothing about the caller
//                    (concurrency, budget, ip-block) and authn (counted as auth.failed) weigh nothing
//   auth.failed      a missing, wrong or expired credential, on function routes and the admin API
//   route.unknown    a request for a route that does not exist (under /fn or anywhere): scanning
//
// A score decays, halving every ipBlock.scoreHalfLifeMs, so a client making an occasional mistake never
// adds up to a block, while a burst of attacks does within seconds. The last EVIDENCE_KEPT events are
// kept per address and become the block's evidence.
//
// Memory is bounded like the rate limiter's buckets: at most ipBlock.maxTracked addresses are scored
// (about 2.5 KB each with a full evidence list, ~50 MB at the default 20 000), the least recently seen
// forgotten beyond that, with its score. An attacker rotating through more addresses than that before
// any one reaches the threshold is not blocked by score; the per-address rate limit still applies to
// each of them.

import type { EventBus, SecurityEvent, Unsubscribe } from '../bus/bus.ts';
import type { IpBlockConfig } from '../config.ts';
import { canonicalIp } from '../net/address-set.ts';
import type { BlockEvidence } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { leastRecentlyUsed } from '../limits/lru-order.ts';
import type { Blocklist } from './blocklist.ts';

export const EVIDENCE_KEPT = 10;

interface Tally {
  score: number;
  at: number;
  evidence: BlockEvidence[];
}

export interface AbuseScorer {
  /** The current (decayed) score of an address; 0 when unknown. */
  score(address: string): number;
  stop(): void;
}

export function startAbuseScorer(deps: { bus: EventBus; blocklist: Blocklist; config: IpBlockConfig; logger: Logger; now?: () => number }): AbuseScorer {
  const { config, blocklist, logger } = deps;
  const now = deps.now ?? Date.now;
  const tallies = new Map<string, Tally>();
  const oldest = leastRecentlyUsed(tallies);

  function weightOf(e: SecurityEvent): number {
    switch (e.type) {
      case 'guard.rejected': {
        const guard = e.detail?.guard;
        return typeof guard === 'string' ? config.weights.guards[guard] ?? 0 : 0;
      }
      case 'auth.failed':
        return config.weights.authFailed;
      case 'route.unknown':
        return config.weights.routeUnknown;
      default:
        return 0;
    }
  }

  const decayed = (t: Tally, at: number): number => t.score * 2 ** (-(at - t.at) / config.scoreHalfLifeMs);

  function evidenceOf(e: SecurityEvent, weight: number): BlockEvidence {
    const d = e.detail ?? {};
    const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
    const item: BlockEvidence = { at: e.at, type: e.type, weight };
    if (e.requestId) item.requestId = e.requestId;
    if (e.function) item.function = e.function;
    if (text(d.guard)) item.guard = text(d.guard);
    if (d.rule === null || text(d.rule)) item.rule = (d.rule as string | null);
    if (text(d.code)) item.code = text(d.code);
    if (text(d.reason)) item.reason = text(d.reason);
    return item;
  }

  function observe(e: SecurityEvent): void {
    const weight = weightOf(e);
    if (weight <= 0 || !e.sourceIp) return;
    const address = canonicalIp(e.sourceIp);
    if (!address || blocklist.isAllowlisted(address) || blocklist.blocked(address)) return;
    const t = now();
    const tally = tallies.get(address);
    let next: Tally;
    if (tally) {
      tallies.delete(address); // re-inserted below: Map order is the least-recently-seen order
      next = { score: decayed(tally, t) + weight, at: t, evidence: [...tally.evidence.slice(-(EVIDENCE_KEPT - 1)), evidenceOf(e, weight)] };
    } else {
      if (tallies.size >= config.maxTracked) tallies.delete(oldest()!);
      next = { score: weight, at: t, evidence: [evidenceOf(e, weight)] };
    }
    if (next.score < config.threshold) {
      tallies.set(address, next);
      return;
    }
    // Blocked with a clean slate: when the block ends, only new offences count towards the next one.
    blocklist.blockAutomatically(address, { score: next.score, evidence: next.evidence })
      .catch((err: unknown) => logger.error({ err, address }, 'automatic ip block failed'));
  }

  const unsubscribe: Unsubscribe = deps.bus.subscribe('security', observe);
  return {
    score(address) {
      const tally = tallies.get(address);
      return tally ? decayed(tally, now()) : 0;
    },
    stop: unsubscribe,
  };
}
