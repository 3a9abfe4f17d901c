// SpendStore on SQLite (tables of migration 3, caller floors of 6). Every write moves values in their
// safe direction only — MAX for spend, claims, counts, alerts and caller floors, the earliest throttle and
// first-served times — so a late or repeated batch can never make the platform forget spend. The tier is
// the last one written. Rows are deleted only when the ledger evicts them (in the transaction that raises
// the floor covering them) and by prune. Claims are their own small transaction because they must be
// durable before the spend they cover is admitted; everything else is written in batches.

import type { DatabaseSync } from 'node:sqlite';
import type { BudgetTier, CallerHistory, SpendEvictions, SpendScope, SpendStore, StoredSpend } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface SpendRow {
  scope: SpendScope;
  key: string;
  period_start: number;
  period_end: number;
  spend_nanos: number;
  claimed_nanos: number;
  invocations: number;
  tier: BudgetTier;
  alerted: number;
  throttled_at: number | null;
  caller_floor_nanos: number;
}

interface CallerRow {
  scope_key: string;
  caller: string;
  first_served_at: number;
  last_served_at: number;
}

export function createSqliteSpend(db: DatabaseSync): SpendStore {
  const q = {
    current: db.prepare('SELECT * FROM spend WHERE period_end > ? ORDER BY scope, key, period_start'),
    callers: db.prepare('SELECT * FROM spend_callers WHERE last_served_at >= ? ORDER BY scope_key, caller'),
    claim: db.prepare(`INSERT INTO spend (scope, key, period_start, period_end, claimed_nanos) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (scope, key, period_start, period_end) DO UPDATE SET claimed_nanos = MAX(claimed_nanos, excluded.claimed_nanos)`),
    ensure: db.prepare(`INSERT INTO spend (scope, key, period_start, period_end) VALUES (?, ?, ?, ?)
      ON CONFLICT (scope, key, period_start, period_end) DO NOTHING`),
    save: db.prepare(`UPDATE spend SET
        spend_nanos = MAX(spend_nanos, ?),
        invocations = MAX(invocations, ?),
        tier = ?,
        alerted = MAX(alerted, ?),
        throttled_at = COALESCE(throttled_at, ?),
        caller_floor_nanos = MAX(caller_floor_nanos, ?)
      WHERE scope = ? AND key = ? AND period_start = ? AND period_end = ?`),
    caller: db.prepare(`INSERT INTO spend_callers (scope_key, caller, first_served_at, last_served_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (scope_key, caller) DO UPDATE SET
        first_served_at = MIN(first_served_at, excluded.first_served_at),
        last_served_at = MAX(last_served_at, excluded.last_served_at)`),
    evictSpend: db.prepare('DELETE FROM spend WHERE scope = ? AND key = ? AND period_start = ? AND period_end = ?'),
    evictCaller: db.prepare('DELETE FROM spend_callers WHERE scope_key = ? AND caller = ?'),
    release: db.prepare('UPDATE spend SET claimed_nanos = spend_nanos WHERE claimed_nanos > spend_nanos'),
    prunePeriods: db.prepare('DELETE FROM spend WHERE period_end < ?'),
    pruneCallers: db.prepare('DELETE FROM spend_callers WHERE last_served_at < ?'),
  };
  return {
    async current(now) {
      const rows = runStatement(() => q.current.all(now)) as unknown as SpendRow[];
      return rows.map((r): StoredSpend => ({
        scope: r.scope,
        key: r.key,
        periodStart: r.period_start,
        periodEnd: r.period_end,
        spendNanos: r.spend_nanos,
        claimedNanos: r.claimed_nanos,
        invocations: r.invocations,
        tier: r.tier,
        alerted: r.alerted,
        throttledAt: r.throttled_at,
        callerFloorNanos: r.caller_floor_nanos,
      }));
    },
    async callers(since) {
      const rows = runStatement(() => q.callers.all(since)) as unknown as CallerRow[];
      return rows.map((r): CallerHistory => ({ scopeKey: r.scope_key, caller: r.caller, firstServedAt: r.first_served_at, lastServedAt: r.last_served_at }));
    },
    async claim(claims) {
      transaction(db, () => {
        for (const c of claims) q.claim.run(c.scope, c.key, c.periodStart, c.periodEnd, c.claimedNanos);
      });
    },
    async save(spend, callers, evicted: SpendEvictions = { spend: [], callers: [] }) {
      transaction(db, () => {
        for (const e of evicted.spend) q.evictSpend.run(e.scope, e.key, e.periodStart, e.periodEnd);
        for (const e of evicted.callers) q.evictCaller.run(e.scopeKey, e.caller);
        for (const r of spend) {
          q.ensure.run(r.scope, r.key, r.periodStart, r.periodEnd);
          q.save.run(r.spendNanos, r.invocations, r.tier, r.alerted, r.throttledAt, r.callerFloorNanos, r.scope, r.key, r.periodStart, r.periodEnd);
        }
        for (const c of callers) q.caller.run(c.scopeKey, c.caller, c.firstServedAt, c.lastServedAt);
      });
    },
    async releaseClaims() {
      runStatement(() => q.release.run());
    },
    async prune(periodsBefore, callersBefore) {
      transaction(db, () => {
        q.prunePeriods.run(periodsBefore);
        q.pruneCallers.run(callersBefore);
      });
    },
  };
}
