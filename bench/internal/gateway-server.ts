// Gateway under test for the bench drivers, in its own process: a fresh home, one function deployed
// through the admin API, and invoker keys. Prints one JSON line {url, functions, key, keys, adminKey, home} and
// serves until SIGTERM or until the driver goes away (answering `memory` lines on stdin meanwhile).
//
//   --no-guards        build the platform with the bench-only switch that turns the chain off
//   --config <file>    copy this config.yaml into the home first (rate limits, budgets, … for the run)
//   --function <dir>   a function to deploy (repeatable; default examples/hello)
//   --keys <n>         invoker keys to create, each scoped to every deployed function (default 1)

import { copyFileSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../src/config.ts';
import { startPlatform } from '../../src/gateway/platform.ts';
import { BENCH_ONLY_DISABLE_ALL_GUARDS } from '../../src/guards/chain.ts';
import { createClient } from '../../src/cli/client.ts';
import { deployDirectory } from '../../src/cli/commands/deploy.ts';
import { loadManifest } from '../../src/manifest/load.ts';
import { createProgress } from '../../src/cli/progress.ts';
import type { CliIo } from '../../src/cli/io.ts';

const { values } = parseArgs({
  options: {
    'no-guards': { type: 'boolean', default: false },
    config: { type: 'string' },
    function: { type: 'string', multiple: true, default: [resolve(import.meta.dirname, '../../examples/hello')] },
    keys: { type: 'string', default: '1' },
  },
});
const home = mkdtempSync(join(tmpdir(), 'bwk-bench-'));
if (values.config) copyFileSync(values.config, join(home, 'config.yaml'));
const config = loadConfig(home, { listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' }, {});
// Logs go to stderr: stdout carries only the one JSON line the driver reads.
const platform = await startPlatform(config, {
  logDestination: process.stderr,
  ...(values['no-guards'] ? { benchOnlyDisableGuards: BENCH_ONLY_DISABLE_ALL_GUARDS } : {}),
});
const adminKey = (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
const client = createClient({ url: platform.url, apiKey: adminKey, credentialsFile: join(home, 'credentials.json') });
const silent = createProgress({} as CliIo, true);
const names: string[] = [];
for (const fn of values.function) {
  const dir = resolve(fn);
  await deployDirectory(client, dir, silent);
  names.push((await loadManifest(dir)).manifest.name);
}
const keys: string[] = [];
for (let i = 0; i < Number(values.keys); i++) {
  const { key } = await client.admin<{ key: string }>('POST', '/admin/v1/keys', { role: 'invoker', functions: names, label: `bench-${i}` });
  keys.push(key);
}
process.stdout.write(JSON.stringify({ url: platform.url, functions: names, key: keys[0], keys, adminKey, home }) + '\n');

const stop = async (): Promise<void> => {
  await platform.close();
  rmSync(home, { recursive: true, force: true });
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
// The driver holds our stdin open: when it dies, so do we (no orphaned gateways eating the CPU). A line
// `memory` on it gets one JSON line of process.memoryUsage() back, taken after a full collection when
// the driver started us with --expose-gc (bench/soak.ts), so a leak shows as live heap, not garbage.
createInterface({ input: process.stdin }).on('line', (line) => {
  if (line !== 'memory') return;
  (globalThis as { gc?: () => void }).gc?.();
  process.stdout.write(JSON.stringify(process.memoryUsage()) + '\n');
}).on('close', () => void stop());
