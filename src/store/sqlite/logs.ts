// FunctionLogStore on SQLite. A batch is one transaction, and retention runs inside it: a function that
// logs in a loop can fill its own window of FUNCTION_LOG_RETENTION entries but never the disk.

import type { DatabaseSync } from 'node:sqlite';
import { FUNCTION_LOG_RETENTION, type FunctionLogEntry, type FunctionLogStore } from '../store.ts';
import { storeError, transaction } from './database.ts';
import { BulwarkError } from '../../errors.ts';

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

/**
 * Function logs are written on the invocation hot path, and with synchronous=FULL every commit is an
 * fsync: one transaction per line capped the gateway at ~900 invocations/s. Lines are therefore
 * group-committed: `append` queues them and resolves once the batch holding them has committed
 * (at most FLUSH_AFTER_MS later, or at once when MAX_BATCH lines are waiting). `query` and `close`
 * commit what is queued first, so a reader always sees every line appended before it asked.
 */
export const FLUSH_AFTER_MS = 25;
export const MAX_BATCH = 512;

export interface SqliteLogStore extends FunctionLogStore {
  /** Commits every queued line now. */
  flush(): void;
}

interface Pending {
  entries: FunctionLogEntry[];
  settle: Array<{ resolve: () => void; reject: (err: unknown) => void }>;
}

export function createSqliteLogs(db: DatabaseSync): SqliteLogStore {
  const q = {
    insert: db.prepare('INSERT INTO function_logs (function, version, request_id, level, at, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    // Deletes everything older than the newest FUNCTION_LOG_RETENTION rows of one function.
    trim: db.prepare(`DELETE FROM function_logs WHERE function = ? AND id <= (
      SELECT id FROM function_logs WHERE function = ? ORDER BY id DESC LIMIT 1 OFFSET ${FUNCTION_LOG_RETENTION})`),
    byFunction: db.prepare('SELECT * FROM function_logs WHERE function = ? ORDER BY id DESC LIMIT ?'),
    byRequest: db.prepare('SELECT * FROM function_logs WHERE function = ? AND request_id = ? ORDER BY id DESC LIMIT ?'),
  };
  let pending: Pending = { entries: [], settle: [] };
  let timer: NodeJS.Timeout | undefined;

  function flush(): void {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const batch = pending;
    pending = { entries: [], settle: [] };
    if (batch.entries.length === 0) return;
    try {
      transaction(db, () => {
        const touched = new Set<string>();
        for (const e of batch.entries) {
          q.insert.run(e.function, e.version, e.requestId, e.level, e.at, e.message, e.fields === undefined ? null : JSON.stringify(e.fields));
          touched.add(e.function);
        }
        for (const fn of touched) q.trim.run(fn, fn);
      });
    } catch (err) {
      for (const s of batch.settle) s.reject(err);
      return;
    }
    for (const s of batch.settle) s.resolve();
  }

  return {
    flush,
    append(entries) {
      if (entries.length === 0) return Promise.resolve();
      if (!db.isOpen) return Promise.reject(new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite'], { why: 'store is closed' }));
      return new Promise<void>((resolve, reject) => {
        pending.entries.push(...entries);
        pending.settle.push({ resolve, reject });
        if (pending.entries.length >= MAX_BATCH) flush();
        else timer ??= setTimeout(flush, FLUSH_AFTER_MS);
      });
    },
    async query({ function: fn, requestId, limit }) {
      const n = Math.max(0, Math.min(Math.floor(limit), FUNCTION_LOG_RETENTION));
      try {
        flush();
        const rows = (requestId === undefined ? q.byFunction.all(fn, n) : q.byRequest.all(fn, requestId, n)) as unknown as LogRow[];
        return rows.reverse().map(toEntry);
      } catch (err) {
        throw storeError(err);
      }
    },
  };
}
