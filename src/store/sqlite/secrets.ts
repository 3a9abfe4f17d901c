// SecretStore on SQLite: sealed secret versions (ciphertext and wrapped data keys only; src/vault/ does
// the cryptography), the active-version pointer and the master key canary.

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import type { SealedSecret, SecretStore, SecretSummary, VaultCanary } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface VersionRow {
  name: string;
  version: number;
  wrapped_key: Uint8Array;
  iv: Uint8Array;
  ciphertext: Uint8Array;
  tag: Uint8Array;
  master_key_id: string;
  created_at: string;
  created_by: string;
}

interface SummaryRow {
  name: string;
  active_version: number;
  latest_version: number;
  created_at: string;
  updated_at: string;
  updated_by: string;
}

function toSealed(r: VersionRow): SealedSecret {
  return {
    name: r.name, version: r.version, wrappedKey: r.wrapped_key, iv: r.iv, ciphertext: r.ciphertext, tag: r.tag,
    masterKeyId: r.master_key_id, createdAt: r.created_at, createdBy: r.created_by,
  };
}

export function createSqliteSecrets(db: DatabaseSync): SecretStore {
  const q = {
    canary: db.prepare('SELECT master_key_id, sealed, created_at FROM vault_canary WHERE id = 1'),
    initCanary: db.prepare('INSERT INTO vault_canary (id, master_key_id, sealed, created_at) VALUES (1, ?, ?, ?) ON CONFLICT (id) DO NOTHING'),
    setCanary: db.prepare('UPDATE vault_canary SET master_key_id = ?, sealed = ?, created_at = ? WHERE id = 1'),
    count: db.prepare('SELECT COUNT(*) AS n FROM secret_versions'),
    lastVersion: db.prepare('SELECT last_version FROM secret_sequences WHERE name = ?'),
    bumpSequence: db.prepare(`INSERT INTO secret_sequences (name, last_version) VALUES (?1, ?2)
      ON CONFLICT (name) DO UPDATE SET last_version = ?2`),
    insertVersion: db.prepare(`INSERT INTO secret_versions
      (name, version, wrapped_key, iv, ciphertext, tag, master_key_id, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    point: db.prepare(`INSERT INTO secrets (name, active_version, updated_at, updated_by) VALUES (?1, ?2, ?3, ?4)
      ON CONFLICT (name) DO UPDATE SET active_version = ?2, updated_at = ?3, updated_by = ?4`),
    active: db.prepare(`SELECT v.* FROM secrets s JOIN secret_versions v ON v.name = s.name AND v.version = s.active_version
      WHERE s.name = ?`),
    version: db.prepare('SELECT * FROM secret_versions WHERE name = ? AND version = ?'),
    list: db.prepare(`SELECT s.name, s.active_version, s.updated_at, s.updated_by,
        MAX(v.version) AS latest_version, MIN(v.created_at) AS created_at
      FROM secrets s JOIN secret_versions v ON v.name = s.name GROUP BY s.name ORDER BY s.name`),
    versions: db.prepare('SELECT * FROM secret_versions WHERE name = ? ORDER BY version'),
    exists: db.prepare('SELECT 1 AS x FROM secrets WHERE name = ?'),
    deletePointer: db.prepare('DELETE FROM secrets WHERE name = ?'),
    deleteVersions: db.prepare('DELETE FROM secret_versions WHERE name = ?'),
    all: db.prepare('SELECT * FROM secret_versions ORDER BY name, version'),
    rewrap: db.prepare('UPDATE secret_versions SET wrapped_key = ?, master_key_id = ? WHERE name = ? AND version = ?'),
  };
  return {
    async canary() {
      const row = runStatement(() => q.canary.get()) as { master_key_id: string; sealed: Uint8Array; created_at: string } | undefined;
      return row && { masterKeyId: row.master_key_id, sealed: row.sealed, createdAt: row.created_at };
    },
    async initCanary(c: VaultCanary) {
      return runStatement(() => q.initCanary.run(c.masterKeyId, c.sealed, c.createdAt)).changes > 0;
    },
    async countVersions() {
      return (runStatement(() => q.count.get()) as { n: number }).n;
    },
    async nextVersion(name) {
      const row = runStatement(() => q.lastVersion.get(name)) as { last_version: number } | undefined;
      return (row?.last_version ?? 0) + 1;
    },
    async put(s) {
      transaction(db, () => {
        const row = q.lastVersion.get(s.name) as { last_version: number } | undefined;
        if ((row?.last_version ?? 0) + 1 !== s.version) throw new BulwarkError('BWK_E_VAULT_CONFLICT', [s.name]);
        q.bumpSequence.run(s.name, s.version);
        q.insertVersion.run(s.name, s.version, s.wrappedKey, s.iv, s.ciphertext, s.tag, s.masterKeyId, s.createdAt, s.createdBy);
        q.point.run(s.name, s.version, s.createdAt, s.createdBy);
      });
    },
    async getActive(name) {
      const row = runStatement(() => q.active.get(name)) as VersionRow | undefined;
      return row && toSealed(row);
    },
    async getVersion(name, version) {
      const row = runStatement(() => q.version.get(name, version)) as VersionRow | undefined;
      return row && toSealed(row);
    },
    async list() {
      return (runStatement(() => q.list.all()) as unknown as SummaryRow[]).map((r): SecretSummary => ({
        name: r.name, activeVersion: r.active_version, latestVersion: r.latest_version,
        createdAt: r.created_at, updatedAt: r.updated_at, updatedBy: r.updated_by,
      }));
    },
    async listVersions(name) {
      return (runStatement(() => q.versions.all(name)) as unknown as VersionRow[]).map(toSealed);
    },
    async activate(name, version, actor) {
      transaction(db, () => {
        if (!q.exists.get(name)) throw new BulwarkError('BWK_E_VAULT_SECRET_NOT_FOUND', [name]);
        const row = q.version.get(name, version) as VersionRow | undefined;
        if (!row) throw new BulwarkError('BWK_E_VAULT_VERSION_NOT_FOUND', [name, version]);
        q.point.run(name, version, new Date().toISOString(), actor);
      });
    },
    async remove(name) {
      return transaction(db, () => {
        const removed = q.deletePointer.run(name).changes > 0;
        q.deleteVersions.run(name);
        return removed;
      });
    },
    async all() {
      return (runStatement(() => q.all.all()) as unknown as VersionRow[]).map(toSealed);
    },
    async rewrap(fromMasterKeyId, rewrapped, canary) {
      transaction(db, () => {
        const current = q.canary.get() as { master_key_id: string } | undefined;
        const stored = q.all.all() as unknown as VersionRow[];
        const listed = new Set(rewrapped.map((r) => `${r.name}\u0000${r.version}`));
        const same = stored.length === listed.size && stored.every((r) => listed.has(`${r.name}\u0000${r.version}`));
        if (current?.master_key_id !== fromMasterKeyId || !same) throw new BulwarkError('BWK_E_VAULT_CONFLICT', ['(master key rotation)']);
        for (const r of rewrapped) q.rewrap.run(r.wrappedKey, r.masterKeyId, r.name, r.version);
        q.setCanary.run(canary.masterKeyId, canary.sealed, canary.createdAt);
      });
    },
  };
}
