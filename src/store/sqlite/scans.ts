// ScanResultStore on SQLite (table of migration 15): one row per deployed version, JSON columns for
// the counts and waivers, which are only ever read back whole.

import type { DatabaseSync } from 'node:sqlite';
import type { ScanRecord, ScanResultStore } from '../store.ts';
import { runStatement } from './database.ts';

interface ScanRow {
  function: string;
  version: number;
  recorded_at: string;
  actor: string;
  source: string;
  fail_on: string;
  counts: string;
  server_counts: string;
  suppressed: number;
  files: number;
  waived: string;
}

export function createSqliteScans(db: DatabaseSync): ScanResultStore {
  const q = {
    put: db.prepare(`INSERT OR REPLACE INTO scan_results (function, version, recorded_at, actor, source, fail_on, counts, server_counts, suppressed, files, waived)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare('SELECT * FROM scan_results WHERE function = ? AND version = ?'),
    list: db.prepare('SELECT * FROM scan_results WHERE function = ? ORDER BY version'),
  };
  const fromRow = (r: ScanRow): ScanRecord => ({
    function: r.function, version: r.version, recordedAt: r.recorded_at, actor: r.actor,
    source: r.source as ScanRecord['source'], failOn: r.fail_on,
    counts: JSON.parse(r.counts), serverCounts: JSON.parse(r.server_counts),
    suppressed: r.suppressed, files: r.files, waived: JSON.parse(r.waived),
  });
  return {
    async record(r) {
      runStatement(() => q.put.run(r.function, r.version, r.recordedAt, r.actor, r.source, r.failOn,
        JSON.stringify(r.counts), JSON.stringify(r.serverCounts), r.suppressed, r.files, JSON.stringify(r.waived)));
    },
    async get(fn, version) {
      const row = runStatement(() => q.get.get(fn, version)) as unknown as ScanRow | undefined;
      return row ? fromRow(row) : undefined;
    },
    async list(fn) {
      return (runStatement(() => q.list.all(fn)) as unknown as ScanRow[]).map(fromRow);
    },
  };
}
