// Chooses the store backend named by the config. Callers get a Store and never learn which one it is.

import type { Config } from '../config.ts';
import type { AuditLog, Store } from './store.ts';
import { openSqliteStore } from './sqlite/index.ts';
import { openSqliteAuditReader } from './sqlite/audit.ts';

export async function openStore(config: Config): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return openSqliteStore(config.home);
  }
}

/** The audit ledger alone, read-only and without migrating (bulwark audit; src/store/sqlite/audit.ts). */
export function openAuditReader(config: Config): { audit: AuditLog; close: () => void } {
  switch (config.store.kind) {
    case 'sqlite':
      return openSqliteAuditReader(config.home);
  }
}
