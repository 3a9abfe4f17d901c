// The real process sandbox without the gateway, for the bench drivers that measure it alone: a fresh
// home, the real SQLite store (function logs), the in-process bus, silent logs. close() tears it all down.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type IsolationMode } from '../../src/config.ts';
import { openSqliteStore } from '../../src/store/sqlite/index.ts';
import { createInProcessBus } from '../../src/bus/in-process/index.ts';
import { createProcessSandbox } from '../../src/runtime/sandbox/process/index.ts';
import type { SandboxProvider } from '../../src/runtime/sandbox/sandbox.ts';
import { createLogger } from '../../src/telemetry/logger.ts';

export interface BenchSandbox {
  sandbox: SandboxProvider;
  /** Once; a later call gets the first call's promise. */
  close(): Promise<void>;
}

export async function openBenchSandbox(opts: {
  homePrefix: string;
  bundleSource: (sha256: string) => Promise<Uint8Array | undefined>;
  /** The config's default when absent. */
  isolation?: IsolationMode;
}): Promise<BenchSandbox> {
  const home = mkdtempSync(join(tmpdir(), opts.homePrefix));
  const loaded = loadConfig(home, { logLevel: 'silent' }, {});
  const config = opts.isolation ? { ...loaded, isolation: opts.isolation } : loaded;
  const store = await openSqliteStore(home);
  const bus = createInProcessBus();
  const closeStore = async (): Promise<void> => {
    try {
      await store.close();
    } finally {
      try {
        await bus.close();
      } finally {
        rmSync(home, { recursive: true, force: true });
      }
    }
  };
  let sandbox: SandboxProvider;
  try {
    sandbox = await createProcessSandbox({
      config, logger: createLogger({ level: 'silent' }), bus, logs: store.logs, bundleSource: opts.bundleSource,
    });
  } catch (err) {
    await closeStore();
    throw err;
  }
  let closed: Promise<void> | undefined;
  return {
    sandbox,
    close: () => (closed ??= sandbox.close().finally(closeStore)),
  };
}
