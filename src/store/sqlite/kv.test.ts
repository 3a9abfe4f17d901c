import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../../errors.ts';
import { openDatabase } from './database.ts';
import { migrate } from './migrations.ts';
import { createSqliteKv } from './kv.ts';

test('sqlite kv: a full namespace refuses new keys, still accepts replacing and other namespaces', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'bwk-kv-'));
  const db = openDatabase(home);
  t.after(async () => { db.close(); await rm(home, { recursive: true, force: true }); });
  migrate(db);
  const kv = createSqliteKv(db, { keyBytes: 16, valueBytes: 64, entriesPerNamespace: 2, listMax: 1 });
  const entry = (namespace: string, key: string) => ({ namespace, key, value: '1', updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'writer' });
  await kv.put(entry('ns', 'a'));
  await kv.put(entry('ns', 'b'));
  await assert.rejects(kv.put(entry('ns', 'c')), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_KV_NAMESPACE_FULL'
    && err.message === 'Key-value namespace ns is full: it holds its maximum of 2 entries');
  await kv.put(entry('ns', 'b'));
  await kv.put(entry('other', 'c'));
  assert.equal(await kv.get('ns', 'c'), undefined);
  assert.deepEqual(await kv.list('ns', { prefix: '', limit: 50 }), ['a'], 'list never returns more than listMax');
  await kv.delete('ns', 'a');
  await kv.put(entry('ns', 'c'));
});
