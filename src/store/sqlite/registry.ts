// FunctionRegistry on SQLite: immutable versions, content-addressed bundles, one active pointer per
// function. deploy() and activate() are single transactions; see docs/store.md for the crash argument.

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import { readStoredManifest } from '../../manifest/stored.ts';
import { sha256Hex, type FunctionRegistry, type FunctionSummary, type FunctionVersion, type NewFunctionVersion, type VersionSignature } from '../store.ts';
import { createReadCache, runStatement, transaction, type ChangeTracker } from './database.ts';

/** Unreferenced bundles younger than this may belong to a deploy in progress (staged, being prepared). */
const ORPHAN_GRACE_MS = 60 * 60 * 1000;

interface VersionRow {
  name: string;
  version: number;
  sha256: string;
  manifest: string;
  manifest_source: string;
  deployed_at: string;
  deployed_by: string;
  size_bytes: number;
}

const VERSION_COLUMNS = `v.name, v.version, v.sha256, v.manifest, v.manifest_source, v.deployed_at, v.deployed_by, b.size_bytes
  FROM versions v JOIN bundles b ON b.sha256 = v.sha256`;

function toVersion(row: VersionRow): FunctionVersion {
  return {
    name: row.name,
    version: row.version,
    sha256: row.sha256,
    manifest: readStoredManifest(row.manifest),
    manifestSource: row.manifest_source,
    deployedAt: row.deployed_at,
    deployedBy: row.deployed_by,
    sizeBytes: row.size_bytes,
  };
}

interface SignatureRow {
  name: string;
  version: number;
  key_id: string;
  signature: string;
  files: string;
  verified_at: string;
}

function toSignature(row: SignatureRow): VersionSignature {
  return {
    name: row.name,
    version: row.version,
    keyId: row.key_id,
    signature: row.signature,
    files: JSON.parse(row.files) as Record<string, string>,
    verifiedAt: row.verified_at,
  };
}

export function createSqliteRegistry(db: DatabaseSync, tracker: ChangeTracker): FunctionRegistry {
  const q = {
    putBundle: db.prepare('INSERT INTO bundles (sha256, code, size_bytes, created_at) VALUES (?, ?, ?, ?) ON CONFLICT (sha256) DO NOTHING'),
    nextVersion: db.prepare('SELECT COALESCE((SELECT last_version FROM version_sequences WHERE name = ?), 0) + 1 AS v'),
    bumpSequence: db.prepare('INSERT INTO version_sequences (name, last_version) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET last_version = excluded.last_version'),
    insertVersion: db.prepare('INSERT INTO versions (name, version, sha256, manifest, manifest_source, deployed_at, deployed_by) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    insertSignature: db.prepare('INSERT INTO version_signatures (name, version, key_id, signature, files, verified_at) VALUES (?, ?, ?, ?, ?, ?)'),
    getSignature: db.prepare('SELECT name, version, key_id, signature, files, verified_at FROM version_signatures WHERE name = ? AND version = ?'),
    listSignatures: db.prepare('SELECT name, version, key_id, signature, files, verified_at FROM version_signatures WHERE name = ? ORDER BY version'),
    setActive: db.prepare(`INSERT INTO functions (name, active_version, created_at, updated_at) VALUES (?, ?, ?, ?)
      ON CONFLICT (name) DO UPDATE SET active_version = excluded.active_version, updated_at = excluded.updated_at`),
    pruneOrphans: db.prepare('DELETE FROM bundles WHERE created_at < ? AND sha256 NOT IN (SELECT sha256 FROM versions)'),
    getActive: db.prepare(`SELECT ${VERSION_COLUMNS} JOIN functions f ON f.name = v.name AND f.active_version = v.version WHERE f.name = ?`),
    getVersion: db.prepare(`SELECT ${VERSION_COLUMNS} WHERE v.name = ? AND v.version = ?`),
    getBundle: db.prepare('SELECT code FROM bundles WHERE sha256 = ?'),
    listVersions: db.prepare(`SELECT ${VERSION_COLUMNS} WHERE v.name = ? ORDER BY v.version`),
    list: db.prepare(`SELECT f.name, f.active_version, f.updated_at, v.sha256, v.manifest, s.key_id,
        (SELECT MAX(version) FROM versions WHERE name = f.name) AS latest_version
      FROM functions f JOIN versions v ON v.name = f.name AND v.version = f.active_version
      LEFT JOIN version_signatures s ON s.name = v.name AND s.version = v.version ORDER BY f.name`),
    functionExists: db.prepare('SELECT 1 AS x FROM functions WHERE name = ?'),
    touchActive: db.prepare('UPDATE functions SET active_version = ?, updated_at = ? WHERE name = ?'),
  };

  const removeRows = createFunctionRemoval(db);

  // node:sqlite is synchronous: each method runs to completion before the next starts, so within one
  // process calls never interleave; across processes BEGIN IMMEDIATE serialises them.
  // Every write is one transaction; whatever it did, the cache generation (migration 5's triggers) makes
  // cached reads not outlive it, and changed() makes this connection see that within the same turn.
  const write = <T>(fn: () => T): T => {
    try {
      return transaction(db, fn);
    } finally {
      tracker.changed();
    }
  };
  // getActive runs on every function request: the active pointer, the version and its manifest JSON.
  const active = createReadCache<FunctionVersion>(tracker);

  return {
    async putBundle(sha256, bundle) {
      if (sha256Hex(bundle) !== sha256) throw new BulwarkError('BWK_E_DEPLOY_DIGEST_MISMATCH');
      write(() => q.putBundle.run(sha256, bundle, bundle.byteLength, new Date().toISOString()));
    },

    async deploy(input: NewFunctionVersion) {
      if (sha256Hex(input.bundle) !== input.sha256) throw new BulwarkError('BWK_E_DEPLOY_DIGEST_MISMATCH');
      const now = new Date();
      const at = now.toISOString();
      const version = write(() => {
        q.putBundle.run(input.sha256, input.bundle, input.bundle.byteLength, at);
        const { v } = q.nextVersion.get(input.name) as { v: number };
        q.bumpSequence.run(input.name, v);
        q.insertVersion.run(input.name, v, input.sha256, JSON.stringify(input.manifest), input.manifestSource, at, input.deployedBy);
        if (input.signature) {
          q.insertSignature.run(input.name, v, input.signature.keyId, input.signature.signature, JSON.stringify(input.signature.files), at);
        }
        q.setActive.run(input.name, v, at, at);
        q.pruneOrphans.run(new Date(now.getTime() - ORPHAN_GRACE_MS).toISOString());
        return v;
      });
      return toVersion(runStatement(() => q.getVersion.get(input.name, version)) as unknown as VersionRow);
    },

    async getActive(name) {
      return active.get(name, () => {
        const row = runStatement(() => q.getActive.get(name)) as VersionRow | undefined;
        return row && toVersion(row);
      });
    },

    async getVersion(name, version) {
      const row = runStatement(() => q.getVersion.get(name, version)) as VersionRow | undefined;
      return row && toVersion(row);
    },

    async getBundle(sha256) {
      const row = runStatement(() => q.getBundle.get(sha256)) as { code: Uint8Array } | undefined;
      return row?.code;
    },

    async list() {
      const rows = runStatement(() => q.list.all()) as Array<{
        name: string; active_version: number; updated_at: string; sha256: string; manifest: string; key_id: string | null; latest_version: number;
      }>;
      return rows.map((r): FunctionSummary => {
        const m = readStoredManifest(r.manifest);
        return {
          name: r.name,
          activeVersion: r.active_version,
          latestVersion: r.latest_version,
          sha256: r.sha256,
          owner: m.owner,
          expires: m.expires,
          updatedAt: r.updated_at,
          signedBy: r.key_id,
        };
      });
    },

    async listVersions(name) {
      return (runStatement(() => q.listVersions.all(name)) as unknown as VersionRow[]).map(toVersion);
    },

    async getSignature(name, version) {
      const row = runStatement(() => q.getSignature.get(name, version)) as SignatureRow | undefined;
      return row && toSignature(row);
    },

    async listSignatures(name) {
      return (runStatement(() => q.listSignatures.all(name)) as unknown as SignatureRow[]).map(toSignature);
    },

    async activate(name, version) {
      write(() => {
        if (!q.functionExists.get(name)) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [name]);
        if (!q.getVersion.get(name, version)) throw new BulwarkError('BWK_E_REGISTRY_VERSION_NOT_FOUND', [name, version]);
        q.touchActive.run(version, new Date().toISOString(), name);
      });
      return toVersion(runStatement(() => q.getVersion.get(name, version)) as unknown as VersionRow);
    },

    async remove(name) {
      return write(() => removeRows(name));
    },
  };
}

/**
 * The rows remove() deletes, as a statement set to run inside a caller's transaction: offboarding
 * (src/store/sqlite/lifecycle.ts) removes a function in the same transaction as its keys and secrets.
 * Returns false (deleting nothing) when there is no such function.
 */
export function createFunctionRemoval(db: DatabaseSync): (name: string) => boolean {
  const q = {
    functionExists: db.prepare('SELECT 1 AS x FROM functions WHERE name = ?'),
    bundlesOf: db.prepare('SELECT DISTINCT sha256 FROM versions WHERE name = ?'),
    deleteFunction: db.prepare('DELETE FROM functions WHERE name = ?'),
    deleteSignatures: db.prepare('DELETE FROM version_signatures WHERE name = ?'),
    deleteVersions: db.prepare('DELETE FROM versions WHERE name = ?'),
    deleteLogs: db.prepare('DELETE FROM function_logs WHERE function = ?'),
    deleteDeadLetters: db.prepare('DELETE FROM dead_letters WHERE function = ?'),
    deleteIfUnreferenced: db.prepare('DELETE FROM bundles WHERE sha256 = ? AND NOT EXISTS (SELECT 1 FROM versions WHERE sha256 = ?)'),
  };
  return (name) => {
    if (!q.functionExists.get(name)) return false;
    // Order matters for the foreign keys: the active pointer, then the versions, then the bundles
    // only they referred to (removed code does not linger; secure_delete overwrites it).
    const shas = (q.bundlesOf.all(name) as Array<{ sha256: string }>).map((r) => r.sha256);
    q.deleteFunction.run(name);
    q.deleteSignatures.run(name);
    q.deleteVersions.run(name);
    q.deleteLogs.run(name);
    q.deleteDeadLetters.run(name);
    for (const sha of shas) q.deleteIfUnreferenced.run(sha, sha);
    return true;
  };
}
