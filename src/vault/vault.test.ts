import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import type { Store } from '../store/store.ts';
import { openVault, PREPARED_ROTATION_TTL_MS } from './vault.ts';
import { rotationProof } from './seal.ts';
import { MASTER_KEY_FILE, NEXT_MASTER_KEY_FILE, writeKeyFile } from './master-key.ts';

const isCode = (code: string) => (err: unknown) => err instanceof BulwarkError && err.code === code;

async function withHome(t: import('node:test').TestContext): Promise<{ home: string; store: () => Promise<Store> }> {
  const home = await mkdtemp(join(tmpdir(), 'bwk-vault-'));
  const opened: Store[] = [];
  t.after(async () => {
    for (const s of opened) await s.close();
    await rm(home, { recursive: true, force: true });
  });
  return {
    home,
    store: async () => {
      const s = await openSqliteStore(home);
      opened.push(s);
      return s;
    },
  };
}

test('first start creates a 0600 key file; values round-trip; stored rows hold no plaintext', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  const vault = await openVault({ store: s.secrets, home, env: {} });
  assert.equal(statSync(join(home, MASTER_KEY_FILE)).mode & 0o777, 0o600);
  const value = Buffer.from(`canary-${randomBytes(12).toString('hex')}`);
  assert.deepEqual(await vault.set('API_TOKEN', value, 'key:test'), (await vault.versions('API_TOKEN'))[0]);
  assert.deepEqual(await vault.get('API_TOKEN'), value);
  assert.equal(await vault.get('MISSING'), undefined);
  const row = await s.secrets.getActive('API_TOKEN');
  for (const part of [row!.ciphertext, row!.wrappedKey]) assert.equal(Buffer.from(part).includes(value), false);
  // Two versions of the same value: different data keys and IVs, so different ciphertexts.
  await vault.rotate('API_TOKEN', value, 'key:test');
  const [v1, v2] = await s.secrets.listVersions('API_TOKEN');
  assert.notDeepEqual(Buffer.from(v1!.ciphertext), Buffer.from(v2!.ciphertext));
  await vault.rollback('API_TOKEN', 1, 'key:test');
  assert.equal((await vault.list())[0]?.activeVersion, 1);
  await assert.rejects(vault.rotate('NEVER_SET', value, 'key:test'), isCode('BWK_E_VAULT_SECRET_NOT_FOUND'));
  // What log redaction and DLP search for: every version's value, until the secret is removed.
  assert.deepEqual(vault.secretValues(), [value.toString(), value.toString()]);
  assert.equal(await vault.remove('API_TOKEN'), true);
  assert.deepEqual(vault.secretValues(), []);
  await assert.rejects(vault.set('lower', value, 'key:test'), isCode('BWK_E_VAULT_SECRET_INVALID'));
  await assert.rejects(vault.set('EMPTY', Buffer.alloc(0), 'key:test'), isCode('BWK_E_VAULT_SECRET_INVALID'));
});

test('a sealed value or wrapped key moved to another row does not decrypt', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  const vault = await openVault({ store: s.secrets, home, env: {} });
  await vault.set('A', Buffer.from('value-of-a'), 'key:test');
  await vault.set('B', Buffer.from('value-of-b'), 'key:test');
  const a = (await s.secrets.getActive('A'))!;
  // Row B carrying A's sealed value and data key, as an attacker with write access to the file could make it.
  await s.secrets.put({ ...a, name: 'B', version: 2 });
  await assert.rejects(vault.get('B'), (err: unknown) => isCode('BWK_E_VAULT_CORRUPT')(err) && !String((err as Error).message).includes('value-of'));
});

test('wrong, malformed, loosely permitted or missing master keys refuse to open', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  await (await openVault({ store: s.secrets, home, env: {} })).set('A', Buffer.from('x'), 'key:test');
  const file = join(home, MASTER_KEY_FILE);
  const good = readFileSync(file, 'utf8');

  await assert.rejects(openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: randomBytes(32).toString('base64') } }),
    (err: unknown) => isCode('BWK_E_VAULT_KEY_WRONG')(err) && (err as Error).message.includes('BULWARK_MASTER_KEY'));
  await assert.rejects(openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: randomBytes(16).toString('base64') } }), isCode('BWK_E_VAULT_KEY_MALFORMED'));
  await assert.rejects(openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: 'not base64 at all!' } }), isCode('BWK_E_VAULT_KEY_MALFORMED'));

  chmodSync(file, 0o644);
  await assert.rejects(openVault({ store: s.secrets, home, env: {} }), isCode('BWK_E_VAULT_KEY_PERMISSIONS'));
  chmodSync(file, 0o600);
  writeFileSync(file, randomBytes(32).toString('base64'));
  await assert.rejects(openVault({ store: s.secrets, home, env: {} }), isCode('BWK_E_VAULT_KEY_WRONG'));
  await rm(file);
  await assert.rejects(openVault({ store: s.secrets, home, env: {} }), isCode('BWK_E_VAULT_KEY_MISSING'));
  // Refusing did not create a fresh key file that would hide the problem at the next start.
  assert.equal(existsSync(file), false);
  writeFileSync(file, good, { mode: 0o600 });
  assert.deepEqual(await (await openVault({ store: s.secrets, home, env: {} })).get('A'), Buffer.from('x'));
});

test('rotate-master (key file): secrets still open, the old key opens nothing', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  const vault = await openVault({ store: s.secrets, home, env: {} });
  await vault.set('A', Buffer.from('alpha'), 'key:test');
  await vault.rotate('A', Buffer.from('alpha-2'), 'key:test');
  const oldKey = readFileSync(join(home, MASTER_KEY_FILE), 'utf8').trim();
  const oldId = vault.masterKeyId();
  const rotation = await vault.rotateMaster();
  assert.equal(rotation.rewrapped, 2);
  assert.notEqual(rotation.masterKeyId, oldId);
  assert.equal(statSync(join(home, MASTER_KEY_FILE)).mode & 0o777, 0o600);
  assert.equal(existsSync(join(home, NEXT_MASTER_KEY_FILE)), false);
  assert.deepEqual(await vault.get('A'), Buffer.from('alpha-2'));
  // The two-step rotation is for BULWARK_MASTER_KEY only: with a key file the gateway keeps the key itself.
  await assert.rejects(vault.prepareMasterRotation(), isCode('BWK_E_VAULT_ROTATION_MODE'));
  const reopened = await openVault({ store: s.secrets, home, env: {} });
  assert.deepEqual(await reopened.get('A'), Buffer.from('alpha-2'));
  await reopened.rollback('A', 1, 'key:test');
  assert.deepEqual(await reopened.get('A'), Buffer.from('alpha'));
  await assert.rejects(openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: oldKey } }), isCode('BWK_E_VAULT_KEY_WRONG'));
});

async function envVault(t: import('node:test').TestContext, now?: () => number) {
  const { home, store } = await withHome(t);
  const s = await store();
  const oldKey = randomBytes(32).toString('base64');
  const vault = await openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: oldKey }, now });
  await vault.set('A', Buffer.from('alpha'), 'key:test');
  await vault.rotate('A', Buffer.from('alpha-2'), 'key:test');
  const reopen = (key: string) => openVault({ store: s.secrets, home, env: { BULWARK_MASTER_KEY: key } });
  const proofFor = (newKey: string) => rotationProof(Buffer.from(newKey, 'base64'));
  return { home, s, vault, oldKey, reopen, proofFor };
}

test('rotate-master (BULWARK_MASTER_KEY): prepare alone changes nothing; the old key still opens everything', async (t) => {
  const { home, s, vault, oldKey, reopen } = await envVault(t);
  const before = await s.secrets.all();
  const oldId = vault.masterKeyId();
  const prepared = await vault.prepareMasterRotation();
  assert.equal(Buffer.from(prepared.newKey, 'base64').length, 32);
  assert.notEqual(prepared.masterKeyId, oldId);
  // Nothing stored changed, no key file appeared, the running vault still uses the old key.
  assert.deepEqual(await s.secrets.all(), before);
  assert.equal((await s.secrets.canary())?.masterKeyId, oldId);
  assert.equal(vault.masterKeyId(), oldId);
  assert.deepEqual(existsSync(join(home, MASTER_KEY_FILE)) || existsSync(join(home, NEXT_MASTER_KEY_FILE)), false);
  assert.deepEqual(await vault.get('A'), Buffer.from('alpha-2'));
  // A restart (the answer was lost, the operator never saved the key) with the old key opens everything.
  const restarted = await reopen(oldKey);
  assert.deepEqual(await restarted.get('A'), Buffer.from('alpha-2'));
  await restarted.rollback('A', 1, 'key:test');
  assert.deepEqual(await restarted.get('A'), Buffer.from('alpha'));
  await assert.rejects(reopen(prepared.newKey), isCode('BWK_E_VAULT_KEY_WRONG'));
  // The one-step rotation that sealed under a key only the answer carried is refused.
  await assert.rejects(vault.rotateMaster(), isCode('BWK_E_VAULT_ROTATION_MODE'));
});

test('rotate-master (BULWARK_MASTER_KEY): a commit with a wrong proof or an unknown key id is refused and changes nothing', async (t) => {
  const { s, vault, oldKey, reopen, proofFor } = await envVault(t);
  const before = await s.secrets.all();
  const prepared = await vault.prepareMasterRotation();
  // The key id alone is no proof: it came in the same answer as the key.
  await assert.rejects(vault.commitMasterRotation(prepared.masterKeyId, proofFor(randomBytes(32).toString('base64'))), isCode('BWK_E_VAULT_ROTATION_PROOF_WRONG'));
  await assert.rejects(vault.commitMasterRotation(prepared.masterKeyId, prepared.masterKeyId), isCode('BWK_E_VAULT_ROTATION_PROOF_WRONG'));
  await assert.rejects(vault.commitMasterRotation('0123456789abcdef', proofFor(prepared.newKey)), isCode('BWK_E_VAULT_ROTATION_NOT_PREPARED'));
  assert.deepEqual(await s.secrets.all(), before);
  assert.deepEqual(await (await reopen(oldKey)).get('A'), Buffer.from('alpha-2'));
  // A refused proof (an operator's copy error) leaves the prepared key in place for a correct one.
  assert.equal((await vault.commitMasterRotation(prepared.masterKeyId, proofFor(prepared.newKey))).rewrapped, 2);
});

test('rotate-master (BULWARK_MASTER_KEY): a prepared key expires, is replaced by a second prepare, and is forgotten by a restart', async (t) => {
  let clock = Date.parse('2026-01-01T00:00:00Z');
  const { s, vault, oldKey, reopen, proofFor } = await envVault(t, () => clock);
  const before = await s.secrets.all();

  const expiring = await vault.prepareMasterRotation();
  assert.equal(expiring.expiresAt, new Date(clock + PREPARED_ROTATION_TTL_MS).toISOString());
  clock += PREPARED_ROTATION_TTL_MS;
  await assert.rejects(vault.commitMasterRotation(expiring.masterKeyId, proofFor(expiring.newKey)), isCode('BWK_E_VAULT_ROTATION_NOT_PREPARED'));

  const first = await vault.prepareMasterRotation();
  const second = await vault.prepareMasterRotation();
  await assert.rejects(vault.commitMasterRotation(first.masterKeyId, proofFor(first.newKey)), isCode('BWK_E_VAULT_ROTATION_NOT_PREPARED'));

  // After a restart the prepared key exists nowhere: the restarted gateway refuses to commit it.
  const restarted = await reopen(oldKey);
  await assert.rejects(restarted.commitMasterRotation(second.masterKeyId, proofFor(second.newKey)), isCode('BWK_E_VAULT_ROTATION_NOT_PREPARED'));
  assert.deepEqual(await s.secrets.all(), before);
  assert.deepEqual(await restarted.get('A'), Buffer.from('alpha-2'));
});

test('rotate-master (BULWARK_MASTER_KEY): after commit the new key opens everything, the old one nothing', async (t) => {
  const { home, vault, oldKey, reopen, proofFor } = await envVault(t);
  const prepared = await vault.prepareMasterRotation();
  // Set between prepare and commit: re-wrapped too, since commit reads the store when it runs.
  await vault.set('B', Buffer.from('bravo'), 'key:test');
  const rotation = await vault.commitMasterRotation(prepared.masterKeyId, proofFor(prepared.newKey));
  assert.deepEqual(rotation, { masterKeyId: prepared.masterKeyId, rewrapped: 3 });
  assert.equal(vault.masterKeyId(), prepared.masterKeyId);
  assert.deepEqual(await vault.get('B'), Buffer.from('bravo'));
  assert.equal(existsSync(join(home, MASTER_KEY_FILE)), false);
  await assert.rejects(reopen(oldKey), isCode('BWK_E_VAULT_KEY_WRONG'));
  const restarted = await reopen(prepared.newKey);
  assert.deepEqual(await restarted.get('A'), Buffer.from('alpha-2'));
  await restarted.rollback('A', 1, 'key:test');
  assert.deepEqual(await restarted.get('A'), Buffer.from('alpha'));
  assert.deepEqual(await restarted.get('B'), Buffer.from('bravo'));
  // Committed once: the same commit again finds nothing prepared.
  await assert.rejects(vault.commitMasterRotation(prepared.masterKeyId, proofFor(prepared.newKey)), isCode('BWK_E_VAULT_ROTATION_NOT_PREPARED'));
});

test('a rotation interrupted after the store commit is finished at the next start', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  const vault = await openVault({ store: s.secrets, home, env: {} });
  await vault.set('A', Buffer.from('alpha'), 'key:test');
  const oldFile = readFileSync(join(home, MASTER_KEY_FILE), 'utf8');
  await vault.rotateMaster();
  // Simulate the crash: the store holds the new wrapping, master.key is still the old key, the new one is in .next.
  writeKeyFile(join(home, NEXT_MASTER_KEY_FILE), Buffer.from(readFileSync(join(home, MASTER_KEY_FILE), 'utf8').trim(), 'base64'), true);
  writeFileSync(join(home, MASTER_KEY_FILE), oldFile, { mode: 0o600 });
  const recovered = await openVault({ store: s.secrets, home, env: {} });
  assert.deepEqual(await recovered.get('A'), Buffer.from('alpha'));
  assert.equal(existsSync(join(home, NEXT_MASTER_KEY_FILE)), false);
  assert.notEqual(readFileSync(join(home, MASTER_KEY_FILE), 'utf8'), oldFile);
});

test('concurrent changes are serialised: two master rotations and a set racing them lose nothing', async (t) => {
  const { home, store } = await withHome(t);
  const s = await store();
  const vault = await openVault({ store: s.secrets, home, env: {} });
  await vault.set('A', Buffer.from('alpha'), 'key:test');
  // Before serialisation the second rotation deleted the first one's master.key.next, so the first
  // committed the store under a key then renamed nothing: every secret sealed under a key kept nowhere.
  // A set landing between a rotation's commit and its switch of keys wrapped under the retired key.
  const results = await Promise.allSettled([vault.rotateMaster(), vault.set('B', Buffer.from('bravo'), 'key:test'), vault.rotateMaster()]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled']);
  const reopened = await openVault({ store: s.secrets, home, env: {} });
  assert.deepEqual(await reopened.get('A'), Buffer.from('alpha'));
  assert.deepEqual(await reopened.get('B'), Buffer.from('bravo'));
});

test('concurrent changes are serialised (BULWARK_MASTER_KEY): a commit racing a set and a new prepare loses nothing', async (t) => {
  const { s, vault, reopen, proofFor } = await envVault(t);
  const prepared = await vault.prepareMasterRotation();
  // In arrival order: the set lands before the commit re-reads the store, so it is re-wrapped; the prepare
  // after the commit replaces nothing the commit needed.
  const results = await Promise.allSettled([
    vault.set('B', Buffer.from('bravo'), 'key:test'),
    vault.commitMasterRotation(prepared.masterKeyId, proofFor(prepared.newKey)),
    vault.set('C', Buffer.from('charlie'), 'key:test'),
    vault.prepareMasterRotation(),
  ]);
  assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'fulfilled', 'fulfilled']);
  assert.equal((await s.secrets.canary())?.masterKeyId, prepared.masterKeyId);
  const reopened = await reopen(prepared.newKey);
  for (const [name, value] of [['A', 'alpha-2'], ['B', 'bravo'], ['C', 'charlie']] as const) assert.deepEqual(await reopened.get(name), Buffer.from(value));
});
