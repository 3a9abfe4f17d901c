// Gateway under test for bench/run.ts, in its own process: a fresh home, the hello example deployed
// through the admin API, and an invoker key. Prints one JSON line {url, key, adminKey} and serves until
// SIGTERM. `--no-guards` builds the platform with the bench-only switch that turns the chain off.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { loadConfig } from '../../src/config.ts';
import { startPlatform } from '../../src/gateway/platform.ts';
import { BENCH_ONLY_DISABLE_ALL_GUARDS } from '../../src/guards/chain.ts';
import { createClient } from '../../src/cli/client.ts';
import { deployDirectory } from '../../src/cli/commands/deploy.ts';
import { createProgress } from '../../src/cli/progress.ts';
import type { CliIo } from '../../src/cli/io.ts';

const noGuards = process.argv.includes('--no-guards');
const home = mkdtempSync(join(tmpdir(), 'bwk-bench-'));
const config = loadConfig(home, { listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' }, {});
// Logs go to stderr: stdout carries only the one JSON line the driver reads.
const platform = await startPlatform(config, {
  logDestination: process.stderr,
  ...(noGuards ? { benchOnlyDisableGuards: BENCH_ONLY_DISABLE_ALL_GUARDS } : {}),
});
const adminKey = (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
const client = createClient({ url: platform.url, apiKey: adminKey, credentialsFile: join(home, 'credentials.json') });
const silent = createProgress({} as CliIo, true);
await deployDirectory(client, resolve(import.meta.dirname, '../../examples/hello'), silent);
const { key } = await client.admin<{ key: string }>('POST', '/admin/v1/keys', { role: 'invoker', functions: ['hello'], label: 'bench' });
process.stdout.write(JSON.stringify({ url: platform.url, key, adminKey, home }) + '\n');

const stop = async (): Promise<void> => {
  await platform.close();
  rmSync(home, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The driver holds our stdin open: when it dies, so do we (no orphaned gateways eating the CPU).
process.stdin.on('end', () => void stop()).resume();
