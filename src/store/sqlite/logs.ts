// FunctionLogStore on SQLite. A batch is one transaction, and retention runs inside it: a function that
// logs in a loop can fill its own window of FUNCTION_LOG_RETENTION entries but never the disk.

import type { DatabaseSync } from 'node:sqlite';
import { FUNCTION_LOG_RETENTION, type FunctionLogEntry, type FunctionLogStore } from '../store.ts';
import { storeError, transaction } from './database.ts';

interface LogRow {
  function: string;
  version: number;
  request_id: string;
  level: FunctionLogEntry['level'];
  at: string;
  message: string;
  fields: string | null;
}

function toEntry(r: LogRow): FunctionLogEntry {
  const e: FunctionLogEntry = { at: r.at, function: r.function, version: r.version, requestId: r.request_id, level: r.level, message: r.message };
  if (r.fields !== null) e.fields = JSON.parse(r.fields) as Record<string, unknown>;
  return e;
}

export function createSqliteLogs(db: DatabaseSync): FunctionLogStore {
  const q = {
    insert: db.prepare('INSERT INTO function_logs (function, version, request_id, level, at, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    // Deletes everything older than the newest FUNCTION_LOG_RETENTION rows of one function.
    trim: db.prepare(`DELETE FROM function_logs WHERE function = ? AND id <= (
      SELECT id FROM function_logs WHERE function = ? ORDER BY id DESC LIMIT 1 OFFSET ${FUNCTION_LOG_RETENTION})`),
    byFunction: db.prepare('SELECT * FROM function_logs WHERE function = ? ORDER BY id DESC LIMIT ?'),
    byRequest: db.prepare('SELECT * FROM function_logs WHERE function = ? AND request_id = ? ORDER BY id DESC LIMIT ?'),
  };
  return {
    async append(entries) {
      if (entries.length === 0) return;
      transaction(db, () => {
        const touched = new Set<string>();
        for (const e of entries) {
          q.insert.run(e.function, e.version, e.requestId, e.level, e.at, e.message, e.fields === undefined ? null : JSON.stringify(e.fields));
          touched.add(e.function);
        }
        for (const fn of touched) q.trim.run(fn, fn);
      });
    },
    async query({ function: fn, requestId, limit }) {
      const n = Math.max(0, Math.min(Math.floor(limit), FUNCTION_LOG_RETENTION));
      try {
        const rows = (requestId === undefined ? q.byFunction.all(fn, n) : q.byRequest.all(fn, requestId, n)) as unknown as LogRow[];
        return rows.reverse().map(toEntry);
      } catch (err) {
        throw storeError(err);
      }
    },
  };
}
