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
  {
    version: 2,
    name: 'ip blocks and their history',
    sql: `
      -- The blocks in force, one per address (src/abuse/blocklist.ts keeps them in memory too). A block
      -- past expires_at stays here until the blocklist lifts it and records that in the history.
      CREATE TABLE ip_blocks (
        address    TEXT PRIMARY KEY,
        kind       TEXT NOT NULL CHECK (kind IN ('automatic', 'manual')),
        reason     TEXT NOT NULL,
        actor      TEXT NOT NULL,
        created_at TEXT NOT NULL,
        expires_at TEXT,
        offence    INTEGER NOT NULL CHECK (offence >= 0),
        evidence   TEXT NOT NULL
      ) STRICT;

      -- Every block and unblock, with the evidence of automatic blocks: why an address was refused stays
      -- answerable after the block is gone. Repeat offences are counted from here.
      CREATE TABLE ip_block_history (
        id         INTEGER PRIMARY KEY AUTOINCREMENT,
        address    TEXT NOT NULL,
        action     TEXT NOT NULL CHECK (action IN ('blocked', 'unblocked')),
        kind       TEXT NOT NULL CHECK (kind IN ('automatic', 'manual', 'expired', 'allowlisted')),
        reason     TEXT NOT NULL,
        actor      TEXT NOT NULL,
        at         TEXT NOT NULL,
        expires_at TEXT,
        offence    INTEGER NOT NULL,
        evidence   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX ip_block_history_by_address ON ip_block_history (address, id);
    `,
  },
  {
    version: 3,
    name: 'spend per scope and period, caller history',
    sql: `
      -- One row per budget scope and period (src/metering/ledger.ts). Amounts are integer nano units.
      -- claimed_nanos is written before the spend it covers is admitted, so after a crash it is an upper
      -- bound of what was spent; spend_nanos is written behind, in batches.
      CREATE TABLE spend (
        scope         TEXT NOT NULL CHECK (scope IN ('global', 'global-caller', 'function', 'caller')),
        key           TEXT NOT NULL,
        period_start  INTEGER NOT NULL,
        period_end    INTEGER NOT NULL CHECK (period_end > period_start),
        spend_nanos   INTEGER NOT NULL DEFAULT 0 CHECK (spend_nanos >= 0),
        claimed_nanos INTEGER NOT NULL DEFAULT 0 CHECK (claimed_nanos >= 0),
        invocations   INTEGER NOT NULL DEFAULT 0 CHECK (invocations >= 0),
        tier          TEXT NOT NULL DEFAULT 'open' CHECK (tier IN ('open', 'throttle', 'exhausted')),
        alerted       INTEGER NOT NULL DEFAULT 0 CHECK (alerted IN (0, 50, 80)),
        throttled_at  INTEGER,
        PRIMARY KEY (scope, key, period_start, period_end)
      ) STRICT;
      CREATE INDEX spend_by_period_end ON spend (period_end);

      -- Who was served successfully under a function ('*': any function), and when first and last:
      -- the good history the budget guard's throttle tier favours.
      CREATE TABLE spend_callers (
        scope_key       TEXT NOT NULL,
        caller          TEXT NOT NULL,
        first_served_at INTEGER NOT NULL,
        last_served_at  INTEGER NOT NULL CHECK (last_served_at >= first_served_at),
        PRIMARY KEY (scope_key, caller)
      ) STRICT;
      CREATE INDEX spend_callers_by_last ON spend_callers (last_served_at);
    `,
  },
  {
    version: 4,
    name: 'dead letters',
    sql: `
      -- Queue messages and scheduled runs given up on (src/triggers/dead-letters.ts). seq orders them
      -- and bounds retention per function; payload is cut to DEAD_LETTER_PAYLOAD_BYTES by the writer.
      CREATE TABLE dead_letters (
        seq           INTEGER PRIMARY KEY AUTOINCREMENT,
        id            TEXT NOT NULL UNIQUE,
        at            TEXT NOT NULL,
        source        TEXT NOT NULL CHECK (source IN ('queue', 'schedule')),
        subject       TEXT,
        function      TEXT NOT NULL,
        version       INTEGER NOT NULL,
        message_id    TEXT NOT NULL,
        actor         TEXT NOT NULL,
        payload       TEXT NOT NULL,
        payload_bytes INTEGER NOT NULL CHECK (payload_bytes >= 0),
        reason        TEXT NOT NULL,
        guard         TEXT,
        rule          TEXT,
        attempts      INTEGER NOT NULL CHECK (attempts >= 0)
      ) STRICT;
      CREATE INDEX dead_letters_by_function ON dead_letters (function, seq);
    `,
  },
  {
    version: 5,
    name: 'generation counter of the cached tables',
    sql: `
      -- Bumped, by triggers, by every write to a table the gateway caches reads of (src/store/sqlite/
      -- database.ts): whichever connection or process writes, and only then. PRAGMA data_version also
      -- changes for function logs, spend and blocks, which are written all the time, so caches keyed on
      -- it were emptied on nearly every request.
      CREATE TABLE cache_generation (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        n  INTEGER NOT NULL
      ) STRICT;
      INSERT INTO cache_generation (id, n) VALUES (1, 0);
      CREATE TRIGGER functions_insert_generation AFTER INSERT ON functions BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER functions_update_generation AFTER UPDATE ON functions BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER functions_delete_generation AFTER DELETE ON functions BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER versions_insert_generation AFTER INSERT ON versions BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER versions_delete_generation AFTER DELETE ON versions BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER api_keys_insert_generation AFTER INSERT ON api_keys BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER api_keys_update_generation AFTER UPDATE ON api_keys BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER api_keys_delete_generation AFTER DELETE ON api_keys BEGIN UPDATE cache_generation SET n = n + 1; END;
    `,
  },
  {
    version: 6,
    name: 'spend caller floors',
    sql: `
      -- On function and global rows: the most any per-caller row under that scope and period had spent
      -- when the ledger evicted it (budgets.maxTracked, src/metering/ledger.ts). A caller without a row
      -- starts from here, so evicting a caller never gives it its per-caller share a second time.
      ALTER TABLE spend ADD COLUMN caller_floor_nanos INTEGER NOT NULL DEFAULT 0 CHECK (caller_floor_nanos >= 0);
    `,
  },
  {
    version: 7,
    name: 'vault: sealed secrets, versions, master key canary',
    sql: `
      -- Outlives remove(), like version_sequences: a (name, version) pair is sealed once, ever.
      CREATE TABLE secret_sequences (
        name         TEXT PRIMARY KEY,
        last_version INTEGER NOT NULL
      ) STRICT;

      -- Ciphertext only (src/vault/). The value's AES-GCM additional data is name and version, so a row's
      -- sealed value cannot be moved to another row; wrapped_key is rewritten by master key rotation.
      CREATE TABLE secret_versions (
        name          TEXT NOT NULL,
        version       INTEGER NOT NULL CHECK (version >= 1),
        wrapped_key   BLOB NOT NULL,
        iv            BLOB NOT NULL CHECK (length(iv) = 12),
        ciphertext    BLOB NOT NULL,
        tag           BLOB NOT NULL CHECK (length(tag) = 16),
        master_key_id TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        created_by    TEXT NOT NULL,
        PRIMARY KEY (name, version)
      ) STRICT;

      CREATE TABLE secrets (
        name           TEXT PRIMARY KEY,
        active_version INTEGER NOT NULL,
        updated_at     TEXT NOT NULL,
        updated_by     TEXT NOT NULL,
        FOREIGN KEY (name, active_version) REFERENCES secret_versions (name, version)
      ) STRICT;

      -- One row: the master key check (src/vault/vault.ts).
      CREATE TABLE vault_canary (
        id            INTEGER PRIMARY KEY CHECK (id = 1),
        master_key_id TEXT NOT NULL,
        sealed        BLOB NOT NULL,
        created_at    TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 8,
    name: 'publisher keys (code signing)',
    sql: `
      -- Ed25519 public keys of publishers whose signatures a deploy may carry (src/signing/). Revocation
      -- is a timestamp, never a delete, so audits still show which key signed an old version.
      CREATE TABLE publisher_keys (
        id         TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        public_key TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        revoked_at TEXT
      ) STRICT;
    `,
  },
  {
    version: 9,
    name: 'capability use records (policy)',
    sql: `
      -- Capability use observed at run time (src/policy/usage.ts), aggregated per function, capability,
      -- target (secret name or host:port) and outcome, for \`bulwark policy\`. Times are epoch ms.
      CREATE TABLE capability_use (
        function   TEXT NOT NULL,
        capability TEXT NOT NULL,
        target     TEXT NOT NULL,
        outcome    TEXT NOT NULL CHECK (outcome IN ('used', 'denied')),
        count      INTEGER NOT NULL,
        first_seen INTEGER NOT NULL,
        last_seen  INTEGER NOT NULL,
        PRIMARY KEY (function, capability, target, outcome)
      ) STRICT;
    `,
  },
  {
    version: 10,
    name: 'version signatures (code signing)',
    sql: `
      -- The publisher signature a version was verified with at deploy (src/signing/), written in the
      -- deploy's transaction, so activating the version later can verify it again against the keys of
      -- that moment. files holds the referenced files (JSON) the signed statement covers; the version
      -- row does not keep them. No row: the version was deployed without a valid signature.
      CREATE TABLE version_signatures (
        name        TEXT NOT NULL,
        version     INTEGER NOT NULL,
        key_id      TEXT NOT NULL,
        signature   TEXT NOT NULL,
        files       TEXT NOT NULL,
        verified_at TEXT NOT NULL,
        PRIMARY KEY (name, version),
        FOREIGN KEY (name, version) REFERENCES versions (name, version)
      ) STRICT;

      CREATE TRIGGER version_signatures_immutable BEFORE UPDATE ON version_signatures
      BEGIN SELECT RAISE(ABORT, 'version signatures are immutable'); END;
    `,
  },
  {
    version: 11,
    name: 'kv namespaces (context.kv)',
    sql: `
      -- Entries of the function key-value store (src/runtime/capabilities/kv.ts). value is JSON text;
      -- updated_by is the function that wrote it last. Bounds (docs/store.md) are enforced on write.
      CREATE TABLE kv_entries (
        namespace  TEXT NOT NULL,
        key        TEXT NOT NULL CHECK (length(key) >= 1),
        value      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        updated_by TEXT NOT NULL,
        PRIMARY KEY (namespace, key)
      ) STRICT, WITHOUT ROWID;
    `,
  },
  {
    version: 12,
    name: 'audit ledger',
    sql: `
      -- The tamper-evident audit ledger (src/audit/, docs/audit.md): one row per security event, chained
      -- by hash. The triggers refuse updates and deletes through Bulwark's own code; they are not the
      -- protection (whoever can write the file can drop them): the hash chain and the signed
      -- checkpoints are, and 'bulwark audit verify' checks them.
      CREATE TABLE audit_records (
        seq        INTEGER PRIMARY KEY,
        at         TEXT NOT NULL,
        actor      TEXT NOT NULL,
        action     TEXT NOT NULL,
        target     TEXT NOT NULL,
        outcome    TEXT NOT NULL,
        request_id TEXT,
        source_ip  TEXT,
        details    TEXT NOT NULL,
        prev_hash  TEXT NOT NULL,
        hash       TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_records_at ON audit_records (at);
      CREATE INDEX audit_records_action ON audit_records (action);
      CREATE INDEX audit_records_actor ON audit_records (actor);
      CREATE INDEX audit_records_target ON audit_records (target);
      CREATE INDEX audit_records_request ON audit_records (request_id) WHERE request_id IS NOT NULL;

      CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records
      BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
      CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records
      BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

      -- Checkpoints signed with the node key ($BULWARK_HOME/audit-node.key): {seq, hash, at}.
      CREATE TABLE audit_checkpoints (
        seq       INTEGER PRIMARY KEY,
        hash      TEXT NOT NULL,
        at        TEXT NOT NULL,
        key_id    TEXT NOT NULL,
        signature TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 13,
    name: 'incidents and their timelines',
    sql: `
      -- Incidents opened by alert rules (src/incidents/). The partial unique index makes "two unresolved
      -- incidents for one rule and key" unrepresentable: repeated matches append to the one in progress.
      CREATE TABLE incidents (
        id         TEXT PRIMARY KEY,
        rule       TEXT NOT NULL,
        severity   TEXT NOT NULL CHECK (severity IN ('low', 'medium', 'high', 'critical')),
        status     TEXT NOT NULL CHECK (status IN ('open', 'acknowledged', 'resolved')),
        key        TEXT NOT NULL,
        opened_at  TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        matches    INTEGER NOT NULL CHECK (matches >= 1)
      ) STRICT;
      CREATE UNIQUE INDEX incidents_unresolved ON incidents (rule, key) WHERE status <> 'resolved';
      CREATE INDEX incidents_by_update ON incidents (updated_at);

      CREATE TABLE incident_entries (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        incident_id TEXT NOT NULL REFERENCES incidents (id),
        at          TEXT NOT NULL,
        kind        TEXT NOT NULL,
        actor       TEXT NOT NULL,
        summary     TEXT NOT NULL,
        detail      TEXT
      ) STRICT;
      CREATE INDEX incident_entries_by_incident ON incident_entries (incident_id, id);
    `,
  },
  {
    version: 14,
    name: 'function lifecycle: disabled state, last invocation',
    sql: `
      -- A row means the function is disabled (src/lifecycle/disable.ts): by whom, when, why. It outlives
      -- redeploys (a new version of a function an admin disabled stays disabled) and is deleted by
      -- enable and by offboarding with removal. Read on every invocation, so writes bump the cache
      -- generation like the functions table (migration 5).
      CREATE TABLE function_states (
        name            TEXT PRIMARY KEY,
        disabled_at     TEXT NOT NULL,
        disabled_by     TEXT NOT NULL,
        disabled_reason TEXT NOT NULL,
        -- Set when the function was offboarded without removal (expiry): its keys were revoked and its
        -- secret and kv grants no longer count as holding a secret or namespace (offboarding of others).
        offboarded_at   TEXT
      ) STRICT;
      CREATE TRIGGER function_states_insert_generation AFTER INSERT ON function_states BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER function_states_update_generation AFTER UPDATE ON function_states BEGIN UPDATE cache_generation SET n = n + 1; END;
      CREATE TRIGGER function_states_delete_generation AFTER DELETE ON function_states BEGIN UPDATE cache_generation SET n = n + 1; END;

      -- Last invocation per function, flushed in batches by src/lifecycle/last-seen.ts (not per request),
      -- so it bumps no cache generation. Outlives removal only until the offboarding transaction.
      CREATE TABLE function_invocations (
        name            TEXT PRIMARY KEY,
        last_invoked_at TEXT NOT NULL
      ) STRICT;
    `,
  },
  {
    version: 15,
    name: 'security scan summary per deployed version',
    sql: `
      -- One row per deployed version (src/scanner/gate/): the deployer's scan counts, the gateway's
      -- manifest re-scan counts and the waivers used, as JSON text. Written after the version; a row
      -- left by a removed function of the same name and version is replaced.
      CREATE TABLE scan_results (
        function      TEXT NOT NULL,
        version       INTEGER NOT NULL,
        recorded_at   TEXT NOT NULL,
        actor         TEXT NOT NULL,
        source        TEXT NOT NULL,
        fail_on       TEXT NOT NULL,
        counts        TEXT NOT NULL,
        server_counts TEXT NOT NULL,
        suppressed    INTEGER NOT NULL,
        files         INTEGER NOT NULL,
        waived        TEXT NOT NULL,
        PRIMARY KEY (function, version)
      ) STRICT;
    `,
  },
  {
    version: 16,
    name: 'function logs without the request-id index',
    sql: `
      -- Every log line inserted a random request id into this index, and every retention trim deleted
      -- one: each batch rewrote pages all over it. Without it a line costs ~1.1 KB of writes instead of
      -- ~5.2 KB and ~15 % less CPU (docs/benchmarks.md, bench/function-logs.ts). The one query
      -- by request id (the admin API's logs?requestId=) walks function_logs_by_function instead: at
      -- most FUNCTION_LOG_RETENTION rows of one function, ~2 ms.
      DROP INDEX function_logs_by_request;
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
