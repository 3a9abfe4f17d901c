import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../../errors.ts';
import { parseManifest } from '../../manifest/parse.ts';
import { sampleVersion } from '../store.contract.ts';
import type { ApiKeyRecord, NewFunctionVersion, Store } from '../store.ts';
import { openSqliteStore } from './index.ts';

async function openStore(t: { after: (fn: () => Promise<void>) => void }): Promise<Store> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-lifecycle-'));
  const store = await openSqliteStore(join(dir, 'home'));
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return store;
}

/** A version granting `secrets` and kv `namespaces`. */
function granting(name: string, secrets: string[], namespaces: string[]): NewFunctionVersion {
  const base = sampleVersion(name);
  const source = `${base.manifestSource}permissions:\n  secrets: [${secrets.join(', ')}]\n  kv: { ${namespaces.map((n) => `${n}: read-write`).join(', ')} }\n`;
  return { ...base, manifestSource: source, manifest: parseManifest(source, 'bulwark.yaml', () => undefined) };
}

function key(id: string, functions: string[]): ApiKeyRecord {
  return {
    id, secretHash: createHash('sha256').update(id).digest('hex'), role: 'invoker', functions, label: id,
    createdAt: new Date().toISOString(), expiresAt: null, revokedAt: null,
  };
}

async function putSecret(store: Store, name: string): Promise<void> {
  await store.secrets.put({
    name, version: await store.secrets.nextVersion(name), wrappedKey: randomBytes(60), iv: randomBytes(12), ciphertext: randomBytes(20),
    tag: randomBytes(16), masterKeyId: 'mk', createdAt: new Date().toISOString(), createdBy: 'key:test',
  });
}

test('lifecycle store: disable keeps the first record, is seen by the next read, and enable lifts it', async (t) => {
  const store = await openStore(t);
  await store.functions.deploy(sampleVersion('hello'));
  assert.equal(await store.lifecycle.disabled('hello'), undefined);
  assert.equal(await store.lifecycle.disable({ name: 'hello', at: '2026-01-01T00:00:00.000Z', actor: 'key:a', reason: 'first' }), true);
  assert.equal(await store.lifecycle.disable({ name: 'hello', at: '2026-01-02T00:00:00.000Z', actor: 'key:b', reason: 'second' }), false);
  assert.deepEqual({ ...(await store.lifecycle.disabled('hello')) }, { name: 'hello', at: '2026-01-01T00:00:00.000Z', actor: 'key:a', reason: 'first', offboardedAt: null });
  await assert.rejects(store.lifecycle.disable({ name: 'nope', at: 'x', actor: 'a', reason: 'r' }), (e) => e instanceof BulwarkError && e.code === 'BWK_E_REGISTRY_FUNCTION_NOT_FOUND');
  // A redeploy does not lift it.
  await store.functions.deploy(sampleVersion('hello'));
  assert.equal((await store.lifecycle.disabled('hello'))?.reason, 'first');
  assert.equal((await store.lifecycle.enable('hello'))?.reason, 'first');
  assert.equal(await store.lifecycle.disabled('hello'), undefined);
  assert.equal(await store.lifecycle.enable('hello'), undefined);
});

test('lifecycle store: last invocations only move forward', async (t) => {
  const store = await openStore(t);
  await store.lifecycle.recordInvocations([{ name: 'a', at: '2026-01-02T00:00:00.000Z' }, { name: 'b', at: '2026-01-01T00:00:00.000Z' }]);
  await store.lifecycle.recordInvocations([{ name: 'a', at: '2026-01-01T00:00:00.000Z' }, { name: 'b', at: '2026-01-03T00:00:00.000Z' }]);
  assert.deepEqual(await store.lifecycle.lastInvocations(), [{ name: 'a', at: '2026-01-02T00:00:00.000Z' }, { name: 'b', at: '2026-01-03T00:00:00.000Z' }]);
});

test('lifecycle store: offboarding revokes sole-scope keys, narrows shared ones, deletes unshared secrets, purges kv only when asked', async (t) => {
  const store = await openStore(t);
  await store.functions.deploy(granting('billing', ['ONLY', 'SHARED'], ['ledger', 'common']));
  await store.functions.deploy(granting('other', ['SHARED'], ['common']));
  for (const s of ['ONLY', 'SHARED']) await putSecret(store, s);
  for (const ns of ['ledger', 'common']) await store.kv.put({ namespace: ns, key: 'k', value: '1', updatedAt: new Date().toISOString(), updatedBy: 'billing' });
  await store.keys.insert(key('k_own', ['billing']));
  await store.keys.insert(key('k_both', ['billing', 'other']));
  await store.keys.insert(key('k_all', ['*']));
  await store.keys.insert(key('k_other', ['other']));

  const at = '2100-01-01T00:00:00.000Z';
  const result = await store.lifecycle.offboard({ name: 'billing', mode: 'disable', at, actor: 'lifecycle-sweep', reason: 'expired', secrets: ['ONLY', 'SHARED'], kvNamespaces: ['ledger', 'common'], purgeKv: true });
  assert.deepEqual(result, {
    found: true, revokedKeys: ['k_own'], narrowedKeys: ['k_both'], deletedSecrets: ['ONLY'], keptSecrets: [{ name: 'SHARED', grantedBy: ['other'] }],
    purgedKv: ['ledger'], keptKv: [{ namespace: 'common', grantedBy: ['other'] }], kvEntriesDeleted: 1,
  });
  assert.equal((await store.keys.get('k_own'))?.revokedAt, at);
  assert.deepEqual((await store.keys.get('k_both'))?.functions, ['other']);
  assert.deepEqual([(await store.keys.get('k_all'))?.revokedAt, (await store.keys.get('k_other'))?.revokedAt], [null, null]);
  assert.equal(await store.secrets.getActive('ONLY'), undefined);
  assert.ok(await store.secrets.getActive('SHARED'));
  assert.deepEqual(await store.kv.list('ledger', { prefix: '', limit: 10 }), []);
  assert.deepEqual(await store.kv.list('common', { prefix: '', limit: 10 }), ['k']);
  assert.equal((await store.lifecycle.disabled('billing'))?.offboardedAt, at);
  assert.ok(await store.functions.getActive('billing'), 'disable mode keeps the function');

  // billing's grants no longer count: removing the last other grantee deletes SHARED; kv kept (not asked).
  const removal = await store.lifecycle.offboard({ name: 'other', mode: 'remove', at, actor: 'key:admin', reason: 'rm', secrets: ['SHARED'], kvNamespaces: ['common'], purgeKv: false });
  assert.deepEqual([removal.deletedSecrets, removal.revokedKeys, removal.keptKv], [['SHARED'], ['k_both', 'k_other'], [{ namespace: 'common', grantedBy: [] }]]);
  assert.equal(await store.functions.getActive('other'), undefined);
  assert.deepEqual(await store.kv.list('common', { prefix: '', limit: 10 }), ['k']);
  assert.equal((await store.lifecycle.offboard({ name: 'other', mode: 'remove', at, actor: 'a', reason: 'r', secrets: [], kvNamespaces: [], purgeKv: false })).found, false);
});
