// Last invocations on a real SQLite store: touches stay in memory until a flush (or close) writes the
// latest one per function in one batch.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import { startLastSeen } from './last-seen.ts';

test('touches are written on flush and on close, the latest per function, never per touch', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'bwk-last-seen-'));
  const store = await openSqliteStore(home);
  t.after(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
  let now = Date.parse('2026-03-01T00:00:00Z');
  const seen = startLastSeen({ store: store.lifecycle, logger: createLogger({ level: 'silent' }), flushIntervalMs: 3_600_000, now: () => now });
  seen.touch('a');
  now += 1000;
  seen.touch('a');
  seen.touch('b');
  assert.deepEqual(await store.lifecycle.lastInvocations(), [], 'nothing is written before a flush');
  await seen.flush();
  assert.deepEqual(await store.lifecycle.lastInvocations(), [
    { name: 'a', at: '2026-03-01T00:00:01.000Z' }, { name: 'b', at: '2026-03-01T00:00:01.000Z' },
  ]);
  now += 1000;
  seen.touch('b');
  await seen.close();
  assert.deepEqual((await store.lifecycle.lastInvocations()).map((r) => r.at), ['2026-03-01T00:00:01.000Z', '2026-03-01T00:00:02.000Z']);
});
