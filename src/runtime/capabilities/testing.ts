// For capability tests: a temporary home with the real SQLite store and bus, removed after the test,
// so each capability is tested against what the broker really writes to and publishes on.

import type { TestContext } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../config.ts';
import { createBus } from '../../bus/index.ts';
import { openSqliteStore } from '../../store/sqlite/index.ts';
import type { Logger } from '../../telemetry/logger.ts';

export async function capabilityHome(t: TestContext, name: string, logger: Logger) {
  const home = await mkdtemp(join(tmpdir(), `bwk-cap-${name}-`));
  const config = defaultConfig(home);
  const store = await openSqliteStore(home);
  const bus = await createBus(config, { logger });
  t.after(async () => {
    await bus.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
  return { home, config, store, bus };
}
