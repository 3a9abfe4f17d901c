// The function-log writer thread (see logs.ts for why it exists). It owns a second connection to the
// same database file, with the same pragmas, and commits each batch the main thread posts as one
// transaction, trimming every function it touched to its retention window inside that transaction.
//   in:  { seq, entries: FunctionLogEntry[] }      out: { seq } or { seq, error: { message, store } }

import { parentPort, workerData } from 'node:worker_threads';
import { FUNCTION_LOG_RETENTION, type FunctionLogEntry } from '../store.ts';
import { openDatabase, transaction } from './database.ts';
import { isBulwarkError } from '../../errors.ts';

export interface LogBatch {
  seq: number;
  entries: FunctionLogEntry[];
}

export interface LogBatchDone {
  seq: number;
  /** `store` marks SQLITE_BUSY/IOERR-like failures (BWK_E_STORE_UNAVAILABLE on the main side). */
  error?: { message: string; store: boolean };
}

const { home } = workerData as { home: string };
const db = openDatabase(home);
const q = {
  insert: db.prepare('INSERT INTO function_logs (function, version, request_id, level, at, message, fields) VALUES (?, ?, ?, ?, ?, ?, ?)'),
  // Deletes everything older than the newest FUNCTION_LOG_RETENTION rows of one function.
  trim: db.prepare(`DELETE FROM function_logs WHERE function = ? AND id <= (
    SELECT id FROM function_logs WHERE function = ? ORDER BY id DESC LIMIT 1 OFFSET ${FUNCTION_LOG_RETENTION})`),
};

parentPort!.on('message', ({ seq, entries }: LogBatch) => {
  let done: LogBatchDone = { seq };
  try {
    transaction(db, () => {
      const touched = new Set<string>();
      for (const e of entries) {
        q.insert.run(e.function, e.version, e.requestId, e.level, e.at, e.message, e.fields === undefined ? null : JSON.stringify(e.fields));
        touched.add(e.function);
      }
      for (const fn of touched) q.trim.run(fn, fn);
    });
  } catch (err) {
    const store = isBulwarkError(err) && err.code === 'BWK_E_STORE_UNAVAILABLE';
    const message = store ? String(err.detail?.cause ?? err.message) : String(err instanceof Error ? err.message : err);
    done = { seq, error: { message, store } };
  }
  parentPort!.postMessage(done);
});
