// The embedded store: one SQLite file, $home/bulwark.sqlite, opened through node:sqlite.

import type { Store } from '../store.ts';
import { openDatabase } from './database.ts';
import { migrate } from './migrations.ts';
import { createSqliteRegistry } from './registry.ts';
import { createSqliteKeys } from './keys.ts';
import { createSqliteLogs } from './logs.ts';

export async function openSqliteStore(home: string): Promise<Store> {
  const db = openDatabase(home);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const logs = createSqliteLogs(db);
  return {
    kind: 'sqlite',
    functions: createSqliteRegistry(db),
    keys: createSqliteKeys(db),
    logs,
    async close() {
      if (!db.isOpen) return;
      logs.flush();
      db.close();
    },
  };
}
