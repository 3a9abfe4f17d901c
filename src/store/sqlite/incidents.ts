// IncidentStore on SQLite (migration 13). An incident and the entries written with it change in one
// transaction; the partial unique index on (rule, key) keeps at most one unresolved incident per rule and
// key, so recordMatch appends to it rather than opening another.

import type { DatabaseSync } from 'node:sqlite';
import { INCIDENT_TIMELINE_LIMIT, type Incident, type IncidentEntry, type IncidentSeverity, type IncidentStatus, type IncidentStore } from '../store.ts';
import { runStatement, transaction } from './database.ts';

interface IncidentRow {
  id: string;
  rule: string;
  severity: IncidentSeverity;
  status: IncidentStatus;
  key: string;
  opened_at: string;
  updated_at: string;
  matches: number;
}

interface EntryRow {
  at: string;
  kind: IncidentEntry['kind'];
  actor: string;
  summary: string;
  detail: string | null;
}

function toIncident(r: IncidentRow, timeline: IncidentEntry[]): Incident {
  return { id: r.id, rule: r.rule, severity: r.severity, status: r.status, key: r.key, openedAt: r.opened_at, updatedAt: r.updated_at, matches: r.matches, timeline };
}

function toEntry(r: EntryRow): IncidentEntry {
  return { at: r.at, kind: r.kind, actor: r.actor, summary: r.summary, ...(r.detail !== null ? { detail: JSON.parse(r.detail) as Record<string, unknown> } : {}) };
}

export function createSqliteIncidents(db: DatabaseSync): IncidentStore {
  const q = {
    get: db.prepare('SELECT * FROM incidents WHERE id = ?'),
    unresolved: db.prepare(`SELECT * FROM incidents WHERE rule = ? AND key = ? AND status <> 'resolved'`),
    insert: db.prepare('INSERT INTO incidents (id, rule, severity, status, key, opened_at, updated_at, matches) VALUES (?, ?, ?, ?, ?, ?, ?, 1)'),
    matched: db.prepare('UPDATE incidents SET matches = matches + 1, updated_at = ? WHERE id = ?'),
    touch: db.prepare('UPDATE incidents SET updated_at = ? WHERE id = ?'),
    setStatus: db.prepare('UPDATE incidents SET status = ?, updated_at = ? WHERE id = ?'),
    entries: db.prepare('SELECT at, kind, actor, summary, detail FROM incident_entries WHERE incident_id = ? ORDER BY id'),
    countEntries: db.prepare('SELECT COUNT(*) AS n FROM incident_entries WHERE incident_id = ?'),
    addEntry: db.prepare('INSERT INTO incident_entries (incident_id, at, kind, actor, summary, detail) VALUES (?, ?, ?, ?, ?, ?)'),
    list: db.prepare('SELECT * FROM incidents ORDER BY updated_at DESC, id LIMIT ?'),
    listByStatus: db.prepare('SELECT * FROM incidents WHERE status = ? ORDER BY updated_at DESC, id LIMIT ?'),
  };

  const addEntry = (id: string, e: IncidentEntry) =>
    q.addEntry.run(id, e.at, e.kind, e.actor, e.summary, e.detail === undefined ? null : JSON.stringify(e.detail));

  /** Inside a transaction or a single read: the incident with its timeline. */
  function load(id: string): Incident | undefined {
    const row = q.get.get(id) as IncidentRow | undefined;
    if (!row) return undefined;
    return toIncident(row, (q.entries.all(id) as unknown as EntryRow[]).map(toEntry));
  }

  return {
    async recordMatch(m) {
      return transaction(db, () => {
        const existing = q.unresolved.get(m.rule, m.key) as IncidentRow | undefined;
        if (existing) {
          q.matched.run(m.entry.at, existing.id);
          // A long-running attack must not grow one incident without bound: past the limit, matches count only.
          if ((q.countEntries.get(existing.id) as { n: number }).n < INCIDENT_TIMELINE_LIMIT) addEntry(existing.id, m.entry);
          return { incident: load(existing.id)!, opened: false };
        }
        q.insert.run(m.id, m.rule, m.severity, 'open', m.key, m.entry.at, m.entry.at);
        addEntry(m.id, m.entry);
        return { incident: load(m.id)!, opened: true };
      });
    },
    async append(id, entry) {
      return transaction(db, () => {
        if (!q.get.get(id)) return undefined;
        q.touch.run(entry.at, id);
        // Repeatable actions run again on every match: bounded like trigger entries (the playbook.action
        // events in the audit ledger keep every one).
        if ((q.countEntries.get(id) as { n: number }).n < INCIDENT_TIMELINE_LIMIT) addEntry(id, entry);
        return load(id);
      });
    },
    async transition(id, from, to, entry) {
      return transaction(db, () => {
        const row = q.get.get(id) as IncidentRow | undefined;
        if (!row) return undefined;
        if (!from.includes(row.status)) return { incident: load(id)!, changed: false };
        q.setStatus.run(to, entry.at, id);
        addEntry(id, entry);
        return { incident: load(id)!, changed: true };
      });
    },
    async get(id) {
      return runStatement(() => load(id));
    },
    async list({ status, limit }) {
      const rows = runStatement(() => (status === undefined ? q.list.all(limit) : q.listByStatus.all(status, limit))) as unknown as IncidentRow[];
      return rows.map((r) => toIncident(r, []));
    },
  };
}
