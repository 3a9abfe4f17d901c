// PublisherKeyStore on SQLite. Revocation is a timestamp, never a delete. No read cache: keys are read
// once per deploy, so a revocation is seen by the very next deploy.

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import type { PublisherKeyRecord, PublisherKeyStore } from '../store.ts';
import { runStatement } from './database.ts';

interface PublisherRow {
  id: string;
  name: string;
  public_key: string;
  created_at: string;
  revoked_at: string | null;
}

function toRecord(r: PublisherRow): PublisherKeyRecord {
  return { id: r.id, name: r.name, publicKey: r.public_key, createdAt: r.created_at, revokedAt: r.revoked_at };
}

export function createSqlitePublishers(db: DatabaseSync): PublisherKeyStore {
  const q = {
    insert: db.prepare(`INSERT INTO publisher_keys (id, name, public_key, created_at, revoked_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT DO NOTHING`),
    get: db.prepare('SELECT * FROM publisher_keys WHERE id = ?'),
    list: db.prepare('SELECT * FROM publisher_keys ORDER BY created_at, id'),
    revoke: db.prepare('UPDATE publisher_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
  };
  return {
    async insert(k) {
      const { changes } = runStatement(() => q.insert.run(k.id, k.name, k.publicKey, k.createdAt, k.revokedAt));
      if (changes === 0) throw new BulwarkError('BWK_E_SIGNING_KEY_EXISTS', [k.id]);
    },
    async get(id) {
      const row = runStatement(() => q.get.get(id)) as PublisherRow | undefined;
      return row && toRecord(row);
    },
    async list() {
      return (runStatement(() => q.list.all()) as unknown as PublisherRow[]).map(toRecord);
    },
    async revoke(id, at) {
      return runStatement(() => q.revoke.run(at, id)).changes > 0;
    },
  };
}
