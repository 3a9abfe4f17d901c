// KvStore on SQLite (table of migration 11). The entry-count bound is checked in the same BEGIN
// IMMEDIATE transaction as the insert, so concurrent writers cannot overshoot it together.

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import { KV_LIMITS, type KvEntry, type KvStore } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface KvRow {
  namespace: string;
  key: string;
  value: string;
  updated_at: string;
  updated_by: string;
}

type KvLimits = Record<'keyBytes' | 'valueBytes' | 'entriesPerNamespace' | 'listMax', number>;

/** `limits` other than KV_LIMITS only in tests, which cannot afford to fill a 10 000-entry namespace. */
export function createSqliteKv(db: DatabaseSync, limits: KvLimits = KV_LIMITS): KvStore {
  const q = {
    get: db.prepare('SELECT * FROM kv_entries WHERE namespace = ? AND key = ?'),
    exists: db.prepare('SELECT 1 FROM kv_entries WHERE namespace = ? AND key = ?'),
    count: db.prepare('SELECT COUNT(*) AS n FROM kv_entries WHERE namespace = ?'),
    upsert: db.prepare(`INSERT INTO kv_entries (namespace, key, value, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at, updated_by = excluded.updated_by`),
    delete: db.prepare('DELETE FROM kv_entries WHERE namespace = ? AND key = ?'),
    // key >= prefix lets SQLite seek the primary key; substr keeps the prefix literal (no LIKE wildcards).
    list: db.prepare('SELECT key FROM kv_entries WHERE namespace = ?1 AND key >= ?2 AND substr(key, 1, length(?2)) = ?2 ORDER BY key LIMIT ?3'),
  };
  return {
    async get(namespace, key) {
      const row = runStatement(() => q.get.get(namespace, key)) as unknown as KvRow | undefined;
      return row && { namespace: row.namespace, key: row.key, value: row.value, updatedAt: row.updated_at, updatedBy: row.updated_by };
    },
    async put(e: KvEntry) {
      const keyBytes = Buffer.byteLength(e.key);
      if (keyBytes === 0 || keyBytes > limits.keyBytes) {
        throw new BulwarkError('BWK_E_KV_KEY_INVALID', [`a key must be 1 to ${limits.keyBytes} bytes (got ${keyBytes})`]);
      }
      if (Buffer.byteLength(e.value) > limits.valueBytes) throw new BulwarkError('BWK_E_KV_VALUE_TOO_LARGE', [limits.valueBytes]);
      transaction(db, () => {
        if (!q.exists.get(e.namespace, e.key)) {
          const { n } = q.count.get(e.namespace) as { n: number };
          if (n >= limits.entriesPerNamespace) throw new BulwarkError('BWK_E_KV_NAMESPACE_FULL', [e.namespace, limits.entriesPerNamespace]);
        }
        q.upsert.run(e.namespace, e.key, e.value, e.updatedAt, e.updatedBy);
      });
    },
    async delete(namespace, key) {
      return Number(runStatement(() => q.delete.run(namespace, key)).changes) > 0;
    },
    async list(namespace, { prefix, limit }) {
      const rows = runStatement(() => q.list.all(namespace, prefix, Math.min(limit, limits.listMax))) as unknown as Array<{ key: string }>;
      return rows.map((r) => r.key);
    },
  };
}
