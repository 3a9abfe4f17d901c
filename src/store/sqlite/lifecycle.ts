// FunctionLifecycleStore on SQLite (migration 14): disabled functions, last invocations, and the one
// offboarding transaction that spans the registry, API keys, secrets and kv (src/lifecycle/offboard.ts).

import type { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import type { FunctionDisable, FunctionLifecycleStore, OffboardResult } from '../store.ts';
import type { Manifest } from '../../manifest/types.ts';
import { createReadCache, runStatement, transaction, type ChangeTracker } from './database.ts';
import { createFunctionRemoval } from './registry.ts';

interface StateRow {
  name: string;
  disabled_at: string;
  disabled_by: string;
  disabled_reason: string;
  offboarded_at: string | null;
}

function toDisable(r: StateRow): FunctionDisable {
  return { name: r.name, at: r.disabled_at, actor: r.disabled_by, reason: r.disabled_reason, offboardedAt: r.offboarded_at };
}

export function createSqliteLifecycle(db: DatabaseSync, tracker: ChangeTracker): FunctionLifecycleStore {
  const q = {
    get: db.prepare('SELECT * FROM function_states WHERE name = ?'),
    list: db.prepare('SELECT * FROM function_states ORDER BY name'),
    exists: db.prepare('SELECT 1 AS x FROM functions WHERE name = ?'),
    insert: db.prepare('INSERT INTO function_states (name, disabled_at, disabled_by, disabled_reason, offboarded_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING'),
    markOffboarded: db.prepare('UPDATE function_states SET offboarded_at = ? WHERE name = ?'),
    delete: db.prepare('DELETE FROM function_states WHERE name = ?'),
    touch: db.prepare(`INSERT INTO function_invocations (name, last_invoked_at) VALUES (?1, ?2)
      ON CONFLICT (name) DO UPDATE SET last_invoked_at = MAX(last_invoked_at, excluded.last_invoked_at)`),
    lastInvocations: db.prepare('SELECT name, last_invoked_at FROM function_invocations ORDER BY name'),
    deleteInvocations: db.prepare('DELETE FROM function_invocations WHERE name = ?'),
    liveKeys: db.prepare('SELECT id, functions FROM api_keys WHERE revoked_at IS NULL ORDER BY id'),
    revokeKey: db.prepare('UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL'),
    scopeKey: db.prepare('UPDATE api_keys SET functions = ? WHERE id = ?'),
    otherManifests: db.prepare(`SELECT f.name, v.manifest FROM functions f
      JOIN versions v ON v.name = f.name AND v.version = f.active_version
      LEFT JOIN function_states s ON s.name = f.name
      WHERE f.name <> ? AND s.offboarded_at IS NULL ORDER BY f.name`),
    deleteSecret: db.prepare('DELETE FROM secrets WHERE name = ?'),
    deleteSecretVersions: db.prepare('DELETE FROM secret_versions WHERE name = ?'),
    purgeKv: db.prepare('DELETE FROM kv_entries WHERE namespace = ?'),
  };
  const removeFunctionRows = createFunctionRemoval(db);
  // Every write changes what the per-request read (disabled) returns, or the keys cache: both are
  // emptied through the cache generation (migration 14's and 5's triggers) and changed().
  const write = <T>(fn: () => T): T => {
    try {
      return transaction(db, fn);
    } finally {
      tracker.changed();
    }
  };
  // The enabled answer is cached too (as { state: null }): it is the one nearly every invocation gets,
  // and callers only ask about functions that resolved (the cache is capped all the same).
  const byName = createReadCache<{ state: FunctionDisable | null }>(tracker);

  return {
    async disabled(name) {
      return byName.get(name, () => {
        const row = runStatement(() => q.get.get(name)) as StateRow | undefined;
        return { state: row ? toDisable(row) : null };
      })?.state ?? undefined;
    },
    async listDisabled() {
      return (runStatement(() => q.list.all()) as unknown as StateRow[]).map(toDisable);
    },
    async disable(d) {
      return write(() => {
        if (!q.exists.get(d.name)) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [d.name]);
        return q.insert.run(d.name, d.at, d.actor, d.reason, null).changes > 0;
      });
    },
    async enable(name) {
      return write(() => {
        const row = q.get.get(name) as StateRow | undefined;
        if (!row) return undefined;
        q.delete.run(name);
        return toDisable(row);
      });
    },
    async recordInvocations(last) {
      if (last.length === 0) return;
      // Not through write(): last invocations are cached nowhere.
      transaction(db, () => {
        for (const l of last) q.touch.run(l.name, l.at);
      });
    },
    async lastInvocations() {
      return (runStatement(() => q.lastInvocations.all()) as Array<{ name: string; last_invoked_at: string }>).map((r) => ({ name: r.name, at: r.last_invoked_at }));
    },
    async offboard(w) {
      return write((): OffboardResult => {
        const result: OffboardResult = {
          found: true, revokedKeys: [], narrowedKeys: [], deletedSecrets: [], keptSecrets: [], purgedKv: [], keptKv: [], kvEntriesDeleted: 0,
        };
        if (w.mode === 'remove') {
          if (!removeFunctionRows(w.name)) return { ...result, found: false };
          q.delete.run(w.name);
          q.deleteInvocations.run(w.name);
        } else {
          if (!q.exists.get(w.name)) return { ...result, found: false };
          q.insert.run(w.name, w.at, w.actor, w.reason, w.at);
          q.markOffboarded.run(w.at, w.name);
        }
        // Keys: revoked when this was their only function; narrowed when they name others too. A key
        // for '*' is not this function's: it is left alone.
        for (const row of q.liveKeys.all() as Array<{ id: string; functions: string }>) {
          const fns = JSON.parse(row.functions) as string[];
          if (!fns.includes(w.name)) continue;
          const rest = fns.filter((f) => f !== w.name);
          if (rest.length === 0) {
            q.revokeKey.run(w.at, row.id);
            result.revokedKeys.push(row.id);
          } else {
            q.scopeKey.run(JSON.stringify(rest), row.id);
            result.narrowedKeys.push(row.id);
          }
        }
        // Who else still grants what: functions not offboarded, by their active manifests, read inside
        // this transaction.
        const others = (q.otherManifests.all(w.name) as Array<{ name: string; manifest: string }>).map((r) => ({
          name: r.name, permissions: (JSON.parse(r.manifest) as Manifest).permissions,
        }));
        for (const secret of new Set(w.secrets)) {
          const grantedBy = others.filter((o) => (o.permissions.secrets ?? []).includes(secret)).map((o) => o.name);
          if (grantedBy.length > 0) {
            result.keptSecrets.push({ name: secret, grantedBy });
            continue;
          }
          const deleted = q.deleteSecret.run(secret).changes > 0;
          q.deleteSecretVersions.run(secret);
          if (deleted) result.deletedSecrets.push(secret);
        }
        for (const ns of new Set(w.kvNamespaces)) {
          const grantedBy = others.filter((o) => Object.hasOwn(o.permissions.kv ?? {}, ns)).map((o) => o.name);
          if (!w.purgeKv || grantedBy.length > 0) {
            result.keptKv.push({ namespace: ns, grantedBy });
            continue;
          }
          result.kvEntriesDeleted += Number(q.purgeKv.run(ns).changes);
          result.purgedKv.push(ns);
        }
        return result;
      });
    },
  };
}
