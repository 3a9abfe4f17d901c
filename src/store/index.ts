// Chooses the store backend named by the config. Callers get a Store and never learn which one it is.

import type { Config } from '../config.ts';
import type { Store } from './store.ts';
import { openSqliteStore } from './sqlite/index.ts';

export async function openStore(config: Config): Promise<Store> {
  switch (config.store.kind) {
    case 'sqlite':
      return openSqliteStore(config.home);
  }
}
