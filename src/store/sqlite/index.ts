// The embedded store: one SQLite file, $home/bulwark.sqlite, opened through node:sqlite.

import type { Store } from '../store.ts';
import { openDatabase, trackChanges } from './database.ts';
import { migrate } from './migrations.ts';
import { createSqliteRegistry } from './registry.ts';
import { createSqliteKeys } from './keys.ts';
import { createSqliteLogs } from './logs.ts';
import { createSqliteBlocks } from './blocks.ts';
import { createSqliteSpend } from './spend.ts';
import { createSqliteDeadLetters } from './dead-letters.ts';
import { createSqlitePublishers } from './publishers.ts';
import { createSqliteSecrets } from './secrets.ts';
import { createSqliteCapabilityUse } from './capability-use.ts';
import { createSqliteKv } from './kv.ts';
import { createSqliteAudit } from './audit.ts';
import { createSqliteLifecycle } from './lifecycle.ts';
import { createSqliteIncidents } from './incidents.ts';
import { createSqliteScans } from './scans.ts';

export async function openSqliteStore(home: string): Promise<Store> {
  const db = openDatabase(home);
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  const logs = createSqliteLogs(db, home);
  const tracker = trackChanges(db);
  let closing: Promise<void> | undefined;
  return {
    kind: 'sqlite',
    functions: createSqliteRegistry(db, tracker),
    keys: createSqliteKeys(db, tracker),
    logs,
    blocks: createSqliteBlocks(db),
    spend: createSqliteSpend(db),
    deadLetters: createSqliteDeadLetters(db),
    publishers: createSqlitePublishers(db),
    secrets: createSqliteSecrets(db),
    capabilityUse: createSqliteCapabilityUse(db),
    kv: createSqliteKv(db),
    audit: createSqliteAudit(db),
    lifecycle: createSqliteLifecycle(db, tracker),
    incidents: createSqliteIncidents(db),
    scans: createSqliteScans(db),
    close() {
      // Once: the log writer is drained (every appended line committed) before the connection goes.
      closing ??= (async () => {
        await logs.close();
        db.close();
      })();
      return closing;
    },
  };
}
