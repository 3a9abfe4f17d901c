// Numbered schema migrations. Append only: a released migration is never edited, a change is a new
// entry. Each one runs in its own BEGIN IMMEDIATE transaction together with its schema_migrations row,
// so a crash mid-migration leaves the database at the previous version, and two processes opening the
// same file at once apply each migration exactly once.

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export const migrations: Migration[] = [
  {
    version: 1,
    name: 'functions, versions, bundles, keys, logs',
    sql: `
      -- Content-addressed: identical bundles are stored once whatever the function or version.
      CREATE TABLE bundles (
        sha256     TEXT PRIMARY KEY CHECK (length(sha256) = 64),
        code       BLOB NOT NULL,
        size_bytes INTEGER NOT NULL,
        created_at TEXT NOT NULL
      ) STRICT;

      -- Outlives remove(): a (name, version) pair names one bundle forever, so a stale worker or an
      -- old log line can never be confused with a later deploy of the same name.
      CREATE TABLE version_sequences (
        name         TEXT PRIMARY KEY,
        last_version INTEGER NOT NULL
      ) STRICT;

      CREATE TABLE versions (
        name            TEXT NOT NULL,
        version         INTEGER NOT NULL CHECK (version >= 1),
        sha256          TEXT NOT NULL REFERENCES bundles (sha256),
        manifest        TEXT NOT NULL,
        manifest_source TEXT NOT NULL,
        deployed_at     TEXT NOT NULL,
        deployed_by     TEXT NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT;

      CREATE TRIGGER versions_immutable BEFORE UPDATE ON versions
      BEGIN SELECT RAISE(ABORT, 'function versions are immutable'); END;

      -- The active pointer. The foreign key makes "active version that does not exist" unrepresentable.
      CREATE TABLE functions (
        name           TEXT PRIMARY KEY,
        active_version INTEGER NOT NULL,
        created_at     TEXT NOT NULL,
        updated_at     TEXT NOT NULL,
        FOREIGN KEY (name, active_version) REFERENCES versions (name, version)
      ) STRICT;

      CREATE TABLE api_keys (
        id          TEXT PRIMARY KEY,
        secret_hash TEXT NOT NULL,
        role        TEXT NOT NULL CHECK (role IN ('admin', 'deployer', 'invoker', 'viewer')),
        functions   TEXT NOT NULL,
        label       TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        expires_at  TEXT,
        revoked_at  TEXT
      ) STRICT;

      CREATE TABLE function_logs (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        function   TEXT NOT NULL,
        version    INTEGER NOT NULL,
        request_id TEXT NOT NULL,
        level      TEXT NOT NULL,
        at         TEXT NOT NULL,
        message    TEXT NOT NULL,
        fields     TEXT
      ) STRICT;
      CREATE INDEX function_logs_by_function ON function_logs (function, id);
      CREATE INDEX function_logs_by_request ON function_logs (function, request_id, id);
    `,
  },
];

export function schemaVersion(db: DatabaseSync): number {
  const row = db.prepare('SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations').get() as { v: number };
  return row.v;
}

/** Brings the database up to the last migration in `list`. Refuses a database from a newer Bulwark. */
export function migrate(db: DatabaseSync, list: Migration[] = migrations): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  ) STRICT`);
  const supported = list.at(-1)?.version ?? 0;
  for (const m of list) {
    db.exec('BEGIN IMMEDIATE');
    try {
      const current = schemaVersion(db);
      if (current > supported) throw new BulwarkError('BWK_E_STORE_SCHEMA_TOO_NEW', [current, supported]);
      if (current < m.version) {
        db.exec(m.sql);
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
      }
      db.exec('COMMIT');
    } catch (err) {
      db.exec('ROLLBACK');
      if (err instanceof BulwarkError) throw err;
      throw new BulwarkError('BWK_E_STORE_MIGRATION', [], { migration: m.version, name: m.name, cause: String(err) });
    }
  }
  // An empty list still has to refuse a newer database.
  const current = schemaVersion(db);
  if (current > supported) throw new BulwarkError('BWK_E_STORE_SCHEMA_TOO_NEW', [current, supported]);
}
