import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../config.ts';
import { openStore } from '../store/index.ts';
import { createApiKey, hashSecret, keyIdPrefix, verifyApiKey } from './api-keys.ts';

const home = mkdtempSync(join(tmpdir(), 'bwk-keys-'));
const store = await openStore(defaultConfig(home));
after(async () => {
  await store.close();
  rmSync(home, { recursive: true, force: true });
});

test('keys have the bwk_<id>_<secret> format and only the hash of the secret is stored', async () => {
  const { key, record } = await createApiKey(store.keys, { role: 'deployer', functions: ['a', 'b'], label: 'ci' });
  const m = /^bwk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/.exec(key);
  assert.ok(m, key.replace(/_[^_]+$/, '_…'));
  assert.equal(record.id, m[1]);
  const stored = await store.keys.get(record.id);
  assert.equal(stored?.secretHash, hashSecret(m[2]!));
  assert.ok(!JSON.stringify(stored).includes(m[2]!), 'the secret is not in the stored record');
  assert.equal(keyIdPrefix(key), record.id);
});

test('two keys never share an id or a secret', async () => {
  const a = await createApiKey(store.keys, { role: 'viewer', functions: ['*'] });
  const b = await createApiKey(store.keys, { role: 'viewer', functions: ['*'] });
  assert.notEqual(a.record.id, b.record.id);
  assert.notEqual(a.key.split('_').slice(2).join('_'), b.key.split('_').slice(2).join('_'));
});

test('verification: valid, wrong secret, unknown id, malformed', async () => {
  const { key, record } = await createApiKey(store.keys, { role: 'invoker', functions: ['x'] });
  const ok = await verifyApiKey(store.keys, key);
  assert.ok(ok.ok);
  assert.deepEqual(ok.principal, { kind: 'api-key', actor: `key:${record.id}`, roles: ['invoker'], functions: ['x'], keyId: record.id, expiresAt: null });
  const secret = key.split('_').slice(2).join('_');
  const wrong = `bwk_${record.id}_${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
  assert.deepEqual(await verifyApiKey(store.keys, wrong), { ok: false, reason: 'wrong-secret', keyId: record.id });
  assert.deepEqual(await verifyApiKey(store.keys, `bwk_ZZZZZZZZZZZZ_${secret}`), { ok: false, reason: 'unknown', keyId: 'ZZZZZZZZZZZZ' });
  assert.equal((await verifyApiKey(store.keys, 'bwk_short')).ok, false);
  assert.deepEqual(await verifyApiKey(store.keys, 'not-a-key'), { ok: false, reason: 'malformed', keyId: undefined });
});

test('revoked and expired keys are refused', async () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const revoked = await createApiKey(store.keys, { role: 'admin', functions: ['*'] }, now);
  await store.keys.revoke(revoked.record.id, now.toISOString());
  assert.deepEqual(await verifyApiKey(store.keys, revoked.key, now), { ok: false, reason: 'revoked', keyId: revoked.record.id });
  const expiring = await createApiKey(store.keys, { role: 'admin', functions: ['*'], expiresInDays: 1 }, now);
  const live = await verifyApiKey(store.keys, expiring.key, new Date('2030-01-01T23:59:59Z'));
  assert.ok(live.ok);
  assert.equal(live.principal.expiresAt, '2030-01-02T00:00:00.000Z', 'the principal carries the key expiry');
  assert.deepEqual(await verifyApiKey(store.keys, expiring.key, new Date('2030-01-02T00:00:00Z')), { ok: false, reason: 'expired', keyId: expiring.record.id });
});

test('notAfter caps the expiry: a later or missing expiresInDays is cut to it, an earlier one kept', async () => {
  const now = new Date('2030-01-01T00:00:00Z');
  const cap = '2030-01-03T12:00:00.000Z';
  const long = await createApiKey(store.keys, { role: 'viewer', functions: ['*'], expiresInDays: 3650, notAfter: cap }, now);
  assert.equal(long.record.expiresAt, cap);
  const none = await createApiKey(store.keys, { role: 'viewer', functions: ['*'], notAfter: cap }, now);
  assert.equal(none.record.expiresAt, cap);
  const short = await createApiKey(store.keys, { role: 'viewer', functions: ['*'], expiresInDays: 1, notAfter: cap }, now);
  assert.equal(short.record.expiresAt, '2030-01-02T00:00:00.000Z');
});
