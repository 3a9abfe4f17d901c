// AuditLog on SQLite (tables of migration 12). The ledger (src/audit/ledger.ts) computes the chain and
// hands over finished records; this file only stores them, refusing a batch that does not continue the
// stored chain, so two writers can never fork it.

import { DatabaseSync } from 'node:sqlite';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AuditCheckpoint, AuditLog, AuditQuery, AuditRecord } from '../store.ts';
import { BulwarkError } from '../../errors.ts';
import { DATABASE_FILE, runStatement, transaction } from './database.ts';

interface RecordRow {
  seq: number;
  at: string;
  actor: string;
  action: string;
  target: string;
  outcome: string;
  request_id: string | null;
  source_ip: string | null;
  details: string;
  prev_hash: string;
  hash: string;
}

interface CheckpointRow {
  seq: number;
  hash: string;
  at: string;
  key_id: string;
  signature: string;
}

function toRecord(r: RecordRow): AuditRecord {
  return {
    seq: r.seq, at: r.at, actor: r.actor, action: r.action, target: r.target, outcome: r.outcome,
    requestId: r.request_id, sourceIp: r.source_ip, details: r.details, prevHash: r.prev_hash, hash: r.hash,
  };
}

function toCheckpoint(r: CheckpointRow): AuditCheckpoint {
  return { seq: r.seq, hash: r.hash, at: r.at, keyId: r.key_id, signature: r.signature };
}

export function createSqliteAudit(db: DatabaseSync): AuditLog {
  const q = {
    insert: db.prepare(`INSERT INTO audit_records (seq, at, actor, action, target, outcome, request_id, source_ip, details, prev_hash, hash)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    latest: db.prepare('SELECT * FROM audit_records ORDER BY seq DESC LIMIT 1'),
    range: db.prepare('SELECT * FROM audit_records WHERE seq >= ? ORDER BY seq LIMIT ?'),
    checkpoint: db.prepare('INSERT INTO audit_checkpoints (seq, hash, at, key_id, signature) VALUES (?, ?, ?, ?, ?)'),
    checkpoints: db.prepare('SELECT * FROM audit_checkpoints ORDER BY seq'),
  };
  const latest = (): AuditRecord | undefined => {
    const row = q.latest.get() as RecordRow | undefined;
    return row ? toRecord(row) : undefined;
  };
  const insertCheckpoint = (c: AuditCheckpoint) => q.checkpoint.run(c.seq, c.hash, c.at, c.keyId, c.signature);
  return {
    async append(records, checkpoint) {
      if (records.length === 0 && !checkpoint) return;
      transaction(db, () => {
        let head = latest();
        for (const r of records) {
          const expectedSeq = (head?.seq ?? 0) + 1;
          if (r.seq !== expectedSeq || (head && r.prevHash !== head.hash)) {
            throw new BulwarkError('BWK_E_AUDIT_CONFLICT', [r.seq], { expectedSeq });
          }
          q.insert.run(r.seq, r.at, r.actor, r.action, r.target, r.outcome, r.requestId, r.sourceIp, r.details, r.prevHash, r.hash);
          head = r;
        }
        if (checkpoint) insertCheckpoint(checkpoint);
      });
    },
    async addCheckpoint(checkpoint) {
      runStatement(() => insertCheckpoint(checkpoint));
    },
    async latest() {
      return runStatement(latest);
    },
    async range(fromSeq, limit) {
      const rows = runStatement(() => q.range.all(fromSeq, limit)) as unknown as RecordRow[];
      return rows.map(toRecord);
    },
    async query(filter) {
      const { sql, args } = querySql(filter);
      const rows = runStatement(() => db.prepare(sql).all(...args)) as unknown as RecordRow[];
      return rows.map(toRecord);
    },
    async checkpoints() {
      const rows = runStatement(() => q.checkpoints.all()) as unknown as CheckpointRow[];
      return rows.map(toCheckpoint);
    },
  };
}

/** The filters are ANDed; values are bound, never spliced into the SQL. */
function querySql(f: AuditQuery): { sql: string; args: Array<string | number> } {
  const where: string[] = [];
  const args: Array<string | number> = [];
  const eq = (column: string, value: string | undefined) => {
    if (value === undefined) return;
    where.push(`${column} = ?`);
    args.push(value);
  };
  eq('action', f.action);
  eq('actor', f.actor);
  eq('target', f.target);
  eq('request_id', f.requestId);
  if (f.since !== undefined) { where.push('at >= ?'); args.push(f.since); }
  if (f.until !== undefined) { where.push('at <= ?'); args.push(f.until); }
  if (f.afterSeq !== undefined) { where.push('seq > ?'); args.push(f.afterSeq); }
  args.push(f.limit);
  const sql = `SELECT * FROM audit_records ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${f.newestFirst ? 'DESC' : 'ASC'} LIMIT ?`;
  return { sql, args };
}

/**
 * The ledger of `home` for reading only (bulwark audit, offline): no migration runs and nothing is
 * written, so it is safe beside a running gateway and on a copy of someone else's file. Throws
 * BWK_E_AUDIT_NO_LEDGER when there is no database or it has no ledger tables.
 */
export function openSqliteAuditReader(home: string): { audit: AuditLog; close: () => void } {
  const file = join(home, DATABASE_FILE);
  if (!existsSync(file)) throw new BulwarkError('BWK_E_AUDIT_NO_LEDGER', [], { file });
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(file, { readOnly: true });
  } catch (err) {
    throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite'], { file, cause: String(err) });
  }
  // The file may be anything (a copy, a corrupted or an unrelated file): what SQLite says about it is
  // the answer, as a BulwarkError, never an unexpected error.
  const unreadable = (err: unknown): BulwarkError => {
    db.close();
    return new BulwarkError('BWK_E_AUDIT_UNREADABLE', [`${DATABASE_FILE}: ${err instanceof Error ? err.message : String(err)}`], { file });
  };
  let tables: { n: number };
  try {
    tables = db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('audit_records', 'audit_checkpoints')").get() as { n: number };
  } catch (err) {
    throw unreadable(err);
  }
  if (tables.n !== 2) {
    db.close();
    throw new BulwarkError('BWK_E_AUDIT_NO_LEDGER', [], { file });
  }
  try {
    return { audit: createSqliteAudit(db), close: () => db.close() };
  } catch (err) {
    // Tables of those names without the ledger's columns.
    throw unreadable(err);
  }
}
