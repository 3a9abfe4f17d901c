// ApiKeyStore on SQLite. Only the hash of a key's secret is ever written; revocation is a timestamp,
// never a delete, so `bulwark keys list` and audits still show what a revoked key was.

import type { DatabaseSync } from 'node:sqlite';
import type { ApiKeyRecord, ApiKeyStore, Role } from '../store.ts';
import { createReadCache, runStatement, type ChangeTracker } from './database.ts';

interface KeyRow {
  id: string;
  secret_hash: string;
  role: Role;
  functions: string;
  label: string;
  created_at: string;
  expires_at: string | null;
  revoked_at: string | null;
}

function toRecord(r: KeyRow): ApiKeyRecord {
  return {
    id: r.id,
    secretHash: r.secret_hash,
    role: r.role,
    functions: JSON.parse(r.functions) as string[],
    label: r.label,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    revokedAt: r.revoked_at,
  };
}

export function createSqliteKeys(db: DatabaseSync, tracker: ChangeTracker): ApiKeyStore {
  const q = {
    insert: db.prepare(`INSERT INTO api_keys (id, secret_hash, role, functions, label, created_at, expires_at, revoked_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)`),
    get: db.prepare('SELECT * FROM api_keys WHERE id = ?'),
    list: db.prepare('SELECT * FROM api_keys ORDER BY created_at, id'),
    revoke: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
  };
  // get() runs on every API-key request. A write empties it through the cache generation (migration 5's
  // triggers), so a revocation is seen by the next request.
  const write = <T>(fn: () => T): T => {
    try {
      return runStatement(fn);
    } finally {
      tracker.changed();
    }
  };
  const byId = createReadCache<ApiKeyRecord>(tracker);
  return {
    async insert(k) {
      write(() => q.insert.run(k.id, k.secretHash, k.role, JSON.stringify(k.functions), k.label, k.createdAt, k.expiresAt, k.revokedAt));
    },
    async get(id) {
      return byId.get(id, () => {
        const row = runStatement(() => q.get.get(id)) as KeyRow | undefined;
        return row && toRecord(row);
      });
    },
    async list() {
      return (runStatement(() => q.list.all()) as unknown as KeyRow[]).map(toRecord);
    },
    async revoke(id, at) {
      return write(() => q.revoke.run(at, id)).changes > 0;
    },
  };
}
