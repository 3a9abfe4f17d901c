// IpBlockStore on SQLite: the blocks in force (one row per address) and the history of every block and
// unblock with its evidence. A block and its history entry are one transaction, so no block exists
// without its record and no record claims a block that was not made.

import type { DatabaseSync } from 'node:sqlite';
import { BLOCK_HISTORY_RETENTION, type BlockHistoryEntry, type IpBlock, type IpBlockStore } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface BlockRow {
  address: string;
  kind: IpBlock['kind'];
  reason: string;
  actor: string;
  created_at: string;
  expires_at: string | null;
  offence: number;
  evidence: string;
}

interface HistoryRow {
  id: number;
  address: string;
  action: BlockHistoryEntry['action'];
  kind: BlockHistoryEntry['kind'];
  reason: string;
  actor: string;
  at: string;
  expires_at: string | null;
  offence: number;
  evidence: string;
}

function toBlock(r: BlockRow): IpBlock {
  return {
    address: r.address,
    kind: r.kind,
    reason: r.reason,
    actor: r.actor,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    offence: r.offence,
    evidence: JSON.parse(r.evidence) as IpBlock['evidence'],
  };
}

function toHistory(r: HistoryRow): BlockHistoryEntry {
  return {
    id: r.id,
    address: r.address,
    action: r.action,
    kind: r.kind,
    reason: r.reason,
    actor: r.actor,
    at: r.at,
    expiresAt: r.expires_at,
    offence: r.offence,
    evidence: JSON.parse(r.evidence) as BlockHistoryEntry['evidence'],
  };
}

export function createSqliteBlocks(db: DatabaseSync): IpBlockStore {
  const q = {
    upsert: db.prepare(`INSERT INTO ip_blocks (address, kind, reason, actor, created_at, expires_at, offence, evidence)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT (address) DO UPDATE SET kind = excluded.kind, reason = excluded.reason, actor = excluded.actor,
        created_at = excluded.created_at, expires_at = excluded.expires_at, offence = excluded.offence, evidence = excluded.evidence`),
    get: db.prepare('SELECT * FROM ip_blocks WHERE address = ?'),
    remove: db.prepare('DELETE FROM ip_blocks WHERE address = ?'),
    list: db.prepare('SELECT * FROM ip_blocks ORDER BY created_at, address'),
    record: db.prepare(`INSERT INTO ip_block_history (address, action, kind, reason, actor, at, expires_at, offence, evidence)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    prune: db.prepare('DELETE FROM ip_block_history WHERE id <= ?'),
    history: db.prepare('SELECT * FROM ip_block_history ORDER BY id DESC LIMIT ?'),
    historyOf: db.prepare('SELECT * FROM ip_block_history WHERE address = ? ORDER BY id DESC LIMIT ?'),
    countAutomatic: db.prepare(`SELECT COUNT(*) AS n FROM ip_block_history
      WHERE address = ? AND action = 'blocked' AND kind = 'automatic' AND at >= ?`),
  };

  function record(e: Omit<BlockHistoryEntry, 'id'>): void {
    const { lastInsertRowid } = q.record.run(e.address, e.action, e.kind, e.reason, e.actor, e.at, e.expiresAt, e.offence, JSON.stringify(e.evidence));
    q.prune.run(Number(lastInsertRowid) - BLOCK_HISTORY_RETENTION);
  }

  return {
    async block(b) {
      transaction(db, () => {
        q.upsert.run(b.address, b.kind, b.reason, b.actor, b.createdAt, b.expiresAt, b.offence, JSON.stringify(b.evidence));
        record({ address: b.address, action: 'blocked', kind: b.kind, reason: b.reason, actor: b.actor, at: b.createdAt, expiresAt: b.expiresAt, offence: b.offence, evidence: b.evidence });
      });
    },
    async unblock(address, lift) {
      return transaction(db, () => {
        const row = q.get.get(address) as BlockRow | undefined;
        if (!row) return undefined;
        q.remove.run(address);
        const lifted = toBlock(row);
        record({ address, action: 'unblocked', kind: lift.kind, reason: lift.reason, actor: lift.actor, at: lift.at, expiresAt: null, offence: lifted.offence, evidence: [] });
        return lifted;
      });
    },
    async list() {
      return (runStatement(() => q.list.all()) as unknown as BlockRow[]).map(toBlock);
    },
    async history({ address, limit }) {
      const rows = runStatement(() => (address === undefined ? q.history.all(limit) : q.historyOf.all(address, limit))) as unknown as HistoryRow[];
      return rows.map(toHistory);
    },
    async countAutomatic(address, since) {
      return (runStatement(() => q.countAutomatic.get(address, since)) as { n: number }).n;
    },
  };
}
