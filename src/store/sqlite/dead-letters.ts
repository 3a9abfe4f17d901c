// DeadLetterStore on SQLite. An insert and the retention trim that follows it are one transaction: a
// stream of bad messages fills its function's window of DEAD_LETTER_RETENTION letters, never the disk.

import type { DatabaseSync } from 'node:sqlite';
import { DEAD_LETTER_RETENTION, type DeadLetter, type DeadLetterStore } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface DeadLetterRow {
  id: string;
  at: string;
  source: DeadLetter['source'];
  subject: string | null;
  function: string;
  version: number;
  message_id: string;
  actor: string;
  payload: string;
  payload_bytes: number;
  reason: string;
  guard: string | null;
  rule: string | null;
  attempts: number;
}

function toLetter(r: DeadLetterRow): DeadLetter {
  return {
    id: r.id, at: r.at, source: r.source, subject: r.subject, function: r.function, version: r.version,
    messageId: r.message_id, actor: r.actor, payload: r.payload, payloadBytes: r.payload_bytes,
    reason: r.reason, guard: r.guard, rule: r.rule, attempts: r.attempts,
  };
}

export function createSqliteDeadLetters(db: DatabaseSync): DeadLetterStore {
  const q = {
    insert: db.prepare(`INSERT INTO dead_letters
      (id, at, source, subject, function, version, message_id, actor, payload, payload_bytes, reason, guard, rule, attempts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    trim: db.prepare(`DELETE FROM dead_letters WHERE function = ? AND seq <= (
      SELECT seq FROM dead_letters WHERE function = ? ORDER BY seq DESC LIMIT 1 OFFSET ?)`),
    // One statement for every filter: a NULL filter matches everything.
    list: db.prepare(`SELECT * FROM dead_letters
      WHERE (?1 IS NULL OR function = ?1) AND (?2 IS NULL OR function IN (SELECT value FROM json_each(?2)))
      ORDER BY seq DESC LIMIT ?3`),
  };
  return {
    async add(l) {
      transaction(db, () => {
        q.insert.run(l.id, l.at, l.source, l.subject, l.function, l.version, l.messageId, l.actor, l.payload, l.payloadBytes,
          l.reason, l.guard, l.rule, l.attempts);
        q.trim.run(l.function, l.function, DEAD_LETTER_RETENTION);
      });
    },
    async list({ function: name, functions, limit }) {
      const scope = functions === undefined ? null : JSON.stringify(functions);
      return (runStatement(() => q.list.all(name ?? null, scope, limit)) as unknown as DeadLetterRow[]).map(toLetter);
    },
  };
}
