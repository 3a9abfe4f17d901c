import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import { openAuditLedger } from './ledger.ts';
import { loadOrCreateNodeKey } from './node-key.ts';
import { configLoaded } from './config-change.ts';

test('config.loaded names the sections that differ from the previous start on record, by digest only', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-config-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const home = join(dir, 'home');
  const store = await openSqliteStore(home);
  const ledger = await openAuditLedger({ checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key: loadOrCreateNodeKey(home), logger: createLogger({ level: 'silent' }) });
  t.after(async () => {
    await ledger.close();
    await store.close();
  });
  const record = async (detail: object) => ledger.append({ type: 'config.loaded', at: new Date().toISOString(), actor: 'gateway', detail: { ...detail } });

  const first = await configLoaded(loadConfig(home, {}, {}), store.audit);
  assert.equal(first.changed, null, 'no previous start');
  await record(first);

  const same = await configLoaded(loadConfig(home, {}, {}), store.audit);
  assert.deepEqual(same.changed, []);
  assert.equal(same.digest, first.digest);
  await record(same);

  const changed = await configLoaded(loadConfig(home, { logLevel: 'debug', dlp: { responses: 'redact' } }, {}), store.audit);
  assert.deepEqual(changed.changed, ['dlp', 'logLevel']);
  assert.notEqual(changed.digest, first.digest);
  assert.ok(Object.values(changed.sections).every((d) => /^[0-9a-f]{64}$/.test(d)), 'sections carry digests, never values');
});
