// CapabilityUseStore on SQLite (table of migration 9). The recorder (src/policy/usage.ts) aggregates in
// memory and writes one batch per flush, so a row is touched at most once per flush interval.

import type { DatabaseSync } from 'node:sqlite';
import type { CapabilityUse, CapabilityUseStore } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface UseRow {
  function: string;
  capability: string;
  target: string;
  outcome: 'used' | 'denied';
  count: number;
  first_seen: number;
  last_seen: number;
}

export function createSqliteCapabilityUse(db: DatabaseSync): CapabilityUseStore {
  const q = {
    upsert: db.prepare(`INSERT INTO capability_use (function, capability, target, outcome, count, first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (function, capability, target, outcome) DO UPDATE SET
        count = count + excluded.count,
        first_seen = MIN(first_seen, excluded.first_seen),
        last_seen = MAX(last_seen, excluded.last_seen)`),
    list: db.prepare('SELECT * FROM capability_use WHERE function = ? ORDER BY capability, target, outcome'),
  };
  return {
    async record(uses) {
      transaction(db, () => {
        for (const u of uses) q.upsert.run(u.function, u.capability, u.target, u.outcome, u.count, u.firstSeen, u.lastSeen);
      });
    },
    async list(fn) {
      const rows = runStatement(() => q.list.all(fn)) as unknown as UseRow[];
      return rows.map((r): CapabilityUse => ({
        function: r.function, capability: r.capability, target: r.target, outcome: r.outcome,
        count: r.count, firstSeen: r.first_seen, lastSeen: r.last_seen,
      }));
    },
  };
}
