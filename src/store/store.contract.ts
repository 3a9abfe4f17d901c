// The one contract every Store implementation passes (sqlite now, PostgreSQL later). A backend's test
// calls runStoreContract(name, fixture): `fixture()` makes fresh, empty state for one test and returns
// `open()` (may be called again after close() to reopen the same state) and `destroy()`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { parseManifest } from '../manifest/parse.ts';
import { DEAD_LETTER_RETENTION, FUNCTION_LOG_RETENTION, INCIDENT_TIMELINE_LIMIT, KV_LIMITS, type ApiKeyRecord, type CapabilityUse, type DeadLetter, type NewFunctionVersion, type PublisherKeyRecord, type SealedSecret, type SpendRecord, type Store, type AuditRecord, type AuditQuery } from './store.ts';

export interface StoreFixture {
  /** Opens a store on this fixture's state; may be called again after close() to reopen it. */
  open(): Promise<Store>;
  /** Deletes the state (temp dir, database). */
  destroy(): Promise<void>;
}

export function sampleVersion(name: string, code = `export const handler = () => ${JSON.stringify(randomBytes(8).toString('hex'))};`): NewFunctionVersion {
  const manifestSource = `name: ${name}\nhandler: index.js\nowner: team@example.com\nexpires: 2099-01-01\ntriggers:\n  - http: { method: GET, path: / }\n`;
  const bundle = new TextEncoder().encode(code);
  return {
    name,
    manifest: parseManifest(manifestSource, 'bulwark.yaml', () => undefined),
    manifestSource,
    bundle,
    sha256: createHash('sha256').update(bundle).digest('hex'),
    deployedBy: 'key_contract',
  };
}

function sampleKey(id: string, over: Partial<ApiKeyRecord> = {}): ApiKeyRecord {
  return {
    id,
    secretHash: createHash('sha256').update(id).digest('hex'),
    role: 'invoker',
    functions: ['hello'],
    label: `key ${id}`,
    createdAt: new Date().toISOString(),
    expiresAt: null,
    revokedAt: null,
    ...over,
  };
}

const isCode = (code: string) => (err: unknown) => err instanceof BulwarkError && err.code === code;

export function runStoreContract(name: string, fixture: () => Promise<StoreFixture>): void {
  const withStore = (title: string, fn: (store: Store, f: StoreFixture) => Promise<void>) =>
    test(`store contract (${name}): ${title}`, async (t) => {
      const f = await fixture();
      const store = await f.open();
      t.after(async () => {
        await store.close();
        await f.destroy();
      });
      await fn(store, f);
    });

  const sealedSecret = (name: string, version: number, over: Partial<SealedSecret> = {}): SealedSecret => ({
    name, version, wrappedKey: randomBytes(60), iv: randomBytes(12), ciphertext: randomBytes(20), tag: randomBytes(16),
    masterKeyId: 'mk_old', createdAt: `2026-01-0${version}T00:00:00.000Z`, createdBy: 'key:contract', ...over,
  });
  const bytesOf = (s: SealedSecret | undefined) => s && [s.wrappedKey, s.iv, s.ciphertext, s.tag].map((b) => Buffer.from(b).toString('hex'));

  // The audit ledger (src/audit/): the store keeps the chain the ledger computed and never forks it.
  const auditRecord = (seq: number, prevHash: string, over: Partial<AuditRecord> = {}): AuditRecord => ({
    seq, at: `2026-04-01T00:00:${String(seq % 60).padStart(2, '0')}.000Z`, actor: seq % 2 ? 'key_a' : 'anonymous',
    action: seq % 3 ? 'auth.failed' : 'key.created', target: `t${seq % 4}`, outcome: 'denied', requestId: `req-${seq}`,
    sourceIp: '127.0.0.1', details: '{"n":' + seq + '}', prevHash, hash: createHash('sha256').update(`r${seq}`).digest('hex'), ...over,
  });
  const auditChain = (from: number, count: number, prevHash: string): AuditRecord[] => {
    const out: AuditRecord[] = [];
    for (let seq = from; seq < from + count; seq++) {
      const r = auditRecord(seq, out.at(-1)?.hash ?? prevHash);
      out.push(r);
    }
    return out;
  };
  const genesis = '0'.repeat(64);

  withStore('audit: appends a batch with its checkpoint in one transaction; reads ranges, latest, checkpoints; survives a reopen', async (store, f) => {
    assert.equal(await store.audit.latest(), undefined);
    const first = auditChain(1, 5, genesis);
    const checkpoint = { seq: 5, hash: first[4]!.hash, at: '2026-04-01T00:01:00.000Z', keyId: 'audit_k', signature: 'c2ln' };
    await store.audit.append(first, checkpoint);
    await store.audit.append(auditChain(6, 3, first[4]!.hash));
    assert.deepEqual(await store.audit.range(1, 100), [...first, ...auditChain(6, 3, first[4]!.hash)]);
    assert.deepEqual((await store.audit.range(4, 2)).map((r) => r.seq), [4, 5]);
    assert.equal((await store.audit.latest())?.seq, 8);
    await store.audit.addCheckpoint({ ...checkpoint, seq: 8, hash: (await store.audit.latest())!.hash });
    await store.close();
    const reopened = await f.open();
    try {
      assert.deepEqual((await reopened.audit.checkpoints()).map((c) => c.seq), [5, 8]);
      assert.deepEqual((await reopened.audit.checkpoints())[0], checkpoint);
      assert.equal((await reopened.audit.range(1, 100)).length, 8);
    } finally {
      await reopened.close();
    }
  });

  withStore('audit: a batch that does not continue the stored chain is refused whole', async (store) => {
    const first = auditChain(1, 3, genesis);
    await store.audit.append(first);
    // A gap, a seq already taken, a wrong prevHash, a gap inside the batch: nothing of each is written.
    await assert.rejects(store.audit.append(auditChain(5, 2, first[2]!.hash)), isCode('BWK_E_AUDIT_CONFLICT'));
    await assert.rejects(store.audit.append(auditChain(3, 2, first[1]!.hash)), isCode('BWK_E_AUDIT_CONFLICT'));
    await assert.rejects(store.audit.append(auditChain(4, 2, genesis)), isCode('BWK_E_AUDIT_CONFLICT'));
    const gapped = auditChain(4, 3, first[2]!.hash);
    await assert.rejects(store.audit.append([gapped[0]!, gapped[2]!]), isCode('BWK_E_AUDIT_CONFLICT'));
    assert.equal((await store.audit.latest())?.seq, 3);
    assert.equal((await store.audit.range(1, 100)).length, 3);
  });

  withStore('audit: query filters by action, actor, target, request id and time, both directions, after a seq', async (store) => {
    await store.audit.append(auditChain(1, 12, genesis));
    const seqs = async (q: Omit<AuditQuery, 'limit'> & { limit?: number }) => (await store.audit.query({ limit: 100, ...q })).map((r) => r.seq);
    assert.deepEqual(await seqs({ action: 'key.created' }), [3, 6, 9, 12]);
    assert.deepEqual(await seqs({ action: 'key.created', actor: 'key_a' }), [3, 9]);
    assert.deepEqual(await seqs({ target: 't1' }), [1, 5, 9]);
    assert.deepEqual(await seqs({ requestId: 'req-7' }), [7]);
    assert.deepEqual(await seqs({ since: '2026-04-01T00:00:04.000Z', until: '2026-04-01T00:00:06.000Z' }), [4, 5, 6]);
    assert.deepEqual(await seqs({ newestFirst: true, limit: 3 }), [12, 11, 10]);
    assert.deepEqual(await seqs({ afterSeq: 10 }), [11, 12]);
    assert.deepEqual(await seqs({ action: "x' OR 1=1 --" }), []);
  });

  withStore('secrets: put assigns the active version, keeps old versions, rolls back; numbers are never reused', async (store) => {
    assert.equal(await store.secrets.nextVersion('API_TOKEN'), 1);
    const v1 = sealedSecret('API_TOKEN', 1);
    await store.secrets.put(v1);
    const v2 = sealedSecret('API_TOKEN', 2);
    await store.secrets.put(v2);
    assert.deepEqual(bytesOf(await store.secrets.getActive('API_TOKEN')), bytesOf(v2));
    assert.deepEqual(bytesOf(await store.secrets.getVersion('API_TOKEN', 1)), bytesOf(v1));
    // A writer that read nextVersion before another put is refused, not allowed to overwrite.
    await assert.rejects(store.secrets.put(sealedSecret('API_TOKEN', 2)), isCode('BWK_E_VAULT_CONFLICT'));
    await store.secrets.activate('API_TOKEN', 1, 'key:admin');
    assert.deepEqual(bytesOf(await store.secrets.getActive('API_TOKEN')), bytesOf(v1));
    await assert.rejects(store.secrets.activate('API_TOKEN', 9, 'key:admin'), isCode('BWK_E_VAULT_VERSION_NOT_FOUND'));
    await assert.rejects(store.secrets.activate('NOPE', 1, 'key:admin'), isCode('BWK_E_VAULT_SECRET_NOT_FOUND'));
    const [summary] = await store.secrets.list();
    assert.deepEqual({ ...summary, updatedAt: undefined }, {
      name: 'API_TOKEN', activeVersion: 1, latestVersion: 2, createdAt: v1.createdAt, updatedAt: undefined, updatedBy: 'key:admin',
    });
    assert.deepEqual((await store.secrets.listVersions('API_TOKEN')).map((s) => s.version), [1, 2]);
    assert.equal(await store.secrets.countVersions(), 2);
    assert.equal(await store.secrets.remove('API_TOKEN'), true);
    assert.equal(await store.secrets.remove('API_TOKEN'), false);
    assert.equal(await store.secrets.getActive('API_TOKEN'), undefined);
    assert.equal(await store.secrets.countVersions(), 0);
    assert.equal(await store.secrets.nextVersion('API_TOKEN'), 3);
  });

  withStore('secrets: the canary is written once; rewrap replaces every wrapped key and the canary atomically', async (store) => {
    assert.equal(await store.secrets.canary(), undefined);
    const canary = { masterKeyId: 'mk_old', sealed: randomBytes(40), createdAt: '2026-01-01T00:00:00.000Z' };
    assert.equal(await store.secrets.initCanary(canary), true);
    assert.equal(await store.secrets.initCanary({ ...canary, masterKeyId: 'mk_other' }), false);
    assert.equal((await store.secrets.canary())?.masterKeyId, 'mk_old');
    await store.secrets.put(sealedSecret('A', 1));
    await store.secrets.put(sealedSecret('B', 1));
    const newCanary = { masterKeyId: 'mk_new', sealed: randomBytes(40), createdAt: '2026-02-01T00:00:00.000Z' };
    const rewrapped = ['A', 'B'].map((name) => ({ name, version: 1, wrappedKey: randomBytes(60), masterKeyId: 'mk_new' }));
    // Missing a version, or rotating from a key that is not the current one: nothing changes.
    await assert.rejects(store.secrets.rewrap('mk_old', rewrapped.slice(0, 1), newCanary), isCode('BWK_E_VAULT_CONFLICT'));
    await assert.rejects(store.secrets.rewrap('mk_wrong', rewrapped, newCanary), isCode('BWK_E_VAULT_CONFLICT'));
    assert.deepEqual((await store.secrets.all()).map((s) => s.masterKeyId), ['mk_old', 'mk_old']);
    await store.secrets.rewrap('mk_old', rewrapped, newCanary);
    const all = await store.secrets.all();
    assert.deepEqual(all.map((s) => [s.name, s.masterKeyId, Buffer.from(s.wrappedKey).toString('hex')]),
      rewrapped.map((r) => [r.name, 'mk_new', r.wrappedKey.toString('hex')]));
    assert.equal((await store.secrets.canary())?.masterKeyId, 'mk_new');
  });

  withStore('deploy assigns increasing versions and activates the newest', async (store) => {
    assert.equal(await store.functions.getActive('hello'), undefined);
    const v1 = await store.functions.deploy(sampleVersion('hello'));
    const input = sampleVersion('hello');
    const v2 = await store.functions.deploy(input);
    const other = await store.functions.deploy(sampleVersion('other'));
    assert.deepEqual([v1.version, v2.version, other.version], [1, 2, 1]);
    assert.equal((await store.functions.getActive('hello'))?.version, 2);
    assert.equal(v2.deployedBy, 'key_contract');
    assert.equal(v2.sizeBytes, input.bundle.byteLength);
    assert.equal(v2.sha256, input.sha256);
    assert.ok(!Number.isNaN(Date.parse(v2.deployedAt)));
    const list = await store.functions.list();
    assert.deepEqual(list.map((s) => [s.name, s.activeVersion, s.latestVersion, s.owner, s.expires]), [
      ['hello', 2, 2, 'team@example.com', '2099-01-01'],
      ['other', 1, 1, 'team@example.com', '2099-01-01'],
    ]);
    assert.equal(list[0]!.sha256, v2.sha256);
  });

  withStore('versions are immutable and keep their manifest, source and bundle', async (store) => {
    const input = sampleVersion('hello');
    const v1 = await store.functions.deploy(input);
    await store.functions.deploy(sampleVersion('hello'));
    const again = await store.functions.getVersion('hello', 1);
    assert.deepEqual(again, v1);
    assert.deepEqual(again?.manifest, input.manifest);
    assert.equal(again?.manifestSource, input.manifestSource);
    assert.deepEqual(await store.functions.getBundle(v1.sha256), input.bundle);
    assert.deepEqual((await store.functions.listVersions('hello')).map((v) => v.version), [1, 2]);
    assert.equal(await store.functions.getVersion('hello', 3), undefined);
  });

  withStore('identical bundles are stored once and shared by content address', async (store) => {
    const a = sampleVersion('a', 'export const handler = () => 1;');
    const b = sampleVersion('b', 'export const handler = () => 1;');
    const va = await store.functions.deploy(a);
    const vb = await store.functions.deploy(b);
    assert.equal(va.sha256, vb.sha256);
    await store.functions.remove('a');
    // still referenced by b
    assert.deepEqual(await store.functions.getBundle(vb.sha256), b.bundle);
    await store.functions.remove('b');
    assert.equal(await store.functions.getBundle(vb.sha256), undefined);
  });

  withStore('a bundle whose bytes do not match its sha256 is refused', async (store) => {
    const bad = { ...sampleVersion('hello'), sha256: 'a'.repeat(64) };
    await assert.rejects(store.functions.deploy(bad), isCode('BWK_E_DEPLOY_DIGEST_MISMATCH'));
    await assert.rejects(store.functions.putBundle('b'.repeat(64), bad.bundle), isCode('BWK_E_DEPLOY_DIGEST_MISMATCH'));
    assert.equal(await store.functions.getActive('hello'), undefined);
  });

  withStore('putBundle stages bytes readable by sha256 without creating a version', async (store) => {
    const v = sampleVersion('hello');
    await store.functions.putBundle(v.sha256, v.bundle);
    await store.functions.putBundle(v.sha256, v.bundle);
    assert.deepEqual(await store.functions.getBundle(v.sha256), v.bundle);
    assert.equal(await store.functions.getActive('hello'), undefined);
    assert.deepEqual(await store.functions.list(), []);
    assert.equal((await store.functions.deploy(v)).version, 1);
  });

  withStore('activate points at an existing version (rollback) and refuses unknown ones', async (store) => {
    await store.functions.deploy(sampleVersion('hello'));
    await store.functions.deploy(sampleVersion('hello'));
    const back = await store.functions.activate('hello', 1);
    assert.equal(back.version, 1);
    assert.equal((await store.functions.getActive('hello'))?.version, 1);
    const [summary] = await store.functions.list();
    assert.deepEqual([summary!.activeVersion, summary!.latestVersion], [1, 2]);
    await assert.rejects(store.functions.activate('hello', 9), isCode('BWK_E_REGISTRY_VERSION_NOT_FOUND'));
    await assert.rejects(store.functions.activate('nope', 1), isCode('BWK_E_REGISTRY_FUNCTION_NOT_FOUND'));
    // A deploy after a rollback still takes the next number, never a reused one.
    assert.equal((await store.functions.deploy(sampleVersion('hello'))).version, 3);
  });

  withStore('a verified signature is stored with its version, listed by version and removed with the function', async (store) => {
    const signature = { keyId: `pub_${'a'.repeat(24)}`, signature: `${'A'.repeat(86)}==`, files: { 'schema.json': '{"type":"object"}' } };
    const v1 = await store.functions.deploy(sampleVersion('hello'));
    const v2 = await store.functions.deploy({ ...sampleVersion('hello'), signature });
    assert.equal(await store.functions.getSignature('hello', v1.version), undefined);
    const stored = await store.functions.getSignature('hello', v2.version);
    assert.deepEqual({ ...stored, verifiedAt: undefined }, { name: 'hello', version: 2, ...signature, verifiedAt: undefined });
    assert.equal(stored!.verifiedAt, v2.deployedAt);
    assert.deepEqual((await store.functions.listSignatures('hello')).map((s) => [s.version, s.keyId]), [[2, signature.keyId]]);
    assert.equal((await store.functions.list())[0]!.signedBy, signature.keyId);
    await store.functions.activate('hello', 1);
    assert.equal((await store.functions.list())[0]!.signedBy, null);
    assert.equal(await store.functions.getSignature('nope', 1), undefined);
    assert.equal(await store.functions.remove('hello'), true);
    assert.deepEqual(await store.functions.listSignatures('hello'), []);
  });

  withStore('remove deletes the function, its versions and logs; numbers are not reused', async (store) => {
    await store.functions.deploy(sampleVersion('hello'));
    await store.functions.deploy(sampleVersion('hello'));
    await store.logs.append([{ at: new Date().toISOString(), function: 'hello', version: 2, requestId: 'r1', level: 'info', message: 'hi' }]);
    assert.equal(await store.functions.remove('hello'), true);
    assert.equal(await store.functions.remove('hello'), false);
    assert.equal(await store.functions.getActive('hello'), undefined);
    assert.deepEqual(await store.functions.listVersions('hello'), []);
    assert.deepEqual(await store.functions.list(), []);
    assert.deepEqual(await store.logs.query({ function: 'hello', limit: 10 }), []);
    assert.equal((await store.functions.deploy(sampleVersion('hello'))).version, 3);
  });

  withStore('concurrent deploys of one function get distinct, gapless versions', async (store) => {
    const results = await Promise.all(Array.from({ length: 20 }, () => store.functions.deploy(sampleVersion('hello'))));
    assert.deepEqual(results.map((r) => r.version).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i + 1));
    assert.equal((await store.functions.getActive('hello'))?.version, 20);
  });

  withStore('api keys: insert, get, list, revoke once', async (store) => {
    const a = sampleKey('key_a', { role: 'admin', functions: ['*'] });
    const b = sampleKey('key_b', { expiresAt: '2030-01-01T00:00:00.000Z' });
    await store.keys.insert(a);
    await store.keys.insert(b);
    assert.deepEqual(await store.keys.get('key_a'), a);
    assert.deepEqual(await store.keys.get('key_b'), b);
    assert.equal(await store.keys.get('key_c'), undefined);
    assert.deepEqual((await store.keys.list()).map((k) => k.id).sort(), ['key_a', 'key_b']);
    const at = new Date().toISOString();
    assert.equal(await store.keys.revoke('key_b', at), true);
    assert.equal(await store.keys.revoke('key_b', at), false);
    assert.equal(await store.keys.revoke('key_c', at), false);
    assert.equal((await store.keys.get('key_b'))?.revokedAt, at);
    await assert.rejects(store.keys.insert(a), 'a duplicate key id is refused');
  });

  withStore('logs: append, query newest last, by request id, limit', async (store) => {
    const base = Date.parse('2026-01-01T00:00:00Z');
    const entries = Array.from({ length: 10 }, (_, i) => ({
      at: new Date(base + i).toISOString(), function: 'hello', version: 1, requestId: i % 2 ? 'odd' : 'even',
      level: 'info' as const, message: `m${i}`, ...(i === 3 ? { fields: { n: 3, nested: { ok: true } } } : {}),
    }));
    await store.logs.append(entries);
    await store.logs.append([{ ...entries[0]!, function: 'other', message: 'elsewhere' }]);
    assert.deepEqual(await store.logs.query({ function: 'hello', limit: 100 }), entries);
    assert.deepEqual((await store.logs.query({ function: 'hello', limit: 3 })).map((e) => e.message), ['m7', 'm8', 'm9']);
    assert.deepEqual((await store.logs.query({ function: 'hello', requestId: 'odd', limit: 2 })).map((e) => e.message), ['m7', 'm9']);
    assert.deepEqual((await store.logs.query({ function: 'other', limit: 10 })).map((e) => e.message), ['elsewhere']);
  });

  withStore(`logs: only the newest ${FUNCTION_LOG_RETENTION} entries per function are kept`, async (store) => {
    const entry = (i: number, fn = 'hello') => ({ at: new Date().toISOString(), function: fn, version: 1, requestId: `r${i}`, level: 'debug' as const, message: `m${i}` });
    await store.logs.append([entry(0, 'quiet')]);
    await store.logs.append(Array.from({ length: FUNCTION_LOG_RETENTION - 5 }, (_, i) => entry(i)));
    await store.logs.append(Array.from({ length: 10 }, (_, i) => entry(FUNCTION_LOG_RETENTION - 5 + i)));
    const kept = await store.logs.query({ function: 'hello', limit: FUNCTION_LOG_RETENTION + 100 });
    assert.equal(kept.length, FUNCTION_LOG_RETENTION);
    assert.equal(kept[0]!.message, 'm5');
    assert.equal(kept.at(-1)!.message, `m${FUNCTION_LOG_RETENTION + 4}`);
    // another function's window is its own
    assert.equal((await store.logs.query({ function: 'quiet', limit: 10 })).length, 1);
  });

  withStore('closing and reopening keeps every function, version, key and log', async (store, f) => {
    const v = sampleVersion('hello');
    await store.functions.deploy(v);
    await store.functions.deploy(sampleVersion('hello'));
    await store.functions.activate('hello', 1);
    await store.keys.insert(sampleKey('key_a'));
    await store.logs.append([{ at: new Date().toISOString(), function: 'hello', version: 1, requestId: 'r', level: 'warn', message: 'kept' }]);
    await store.close();
    const reopened = await f.open();
    try {
      const active = await reopened.functions.getActive('hello');
      assert.equal(active?.version, 1);
      assert.deepEqual(active?.manifest, v.manifest);
      assert.deepEqual(await reopened.functions.getBundle(v.sha256), v.bundle);
      assert.equal((await reopened.keys.get('key_a'))?.id, 'key_a');
      assert.deepEqual((await reopened.logs.query({ function: 'hello', limit: 5 })).map((e) => e.message), ['kept']);
      assert.equal((await reopened.functions.deploy(sampleVersion('hello'))).version, 3);
    } finally {
      await reopened.close();
    }
  });

  const spendRow = (over: Partial<SpendRecord> = {}): SpendRecord => ({
    scope: 'function', key: 'hello', periodStart: 1_000_000, periodEnd: 2_000_000,
    spendNanos: 500, invocations: 2, tier: 'open', alerted: 0, throttledAt: null, callerFloorNanos: 0, ...over,
  });

  withStore('spend: save writes rows, current returns only periods not yet ended', async (store) => {
    await store.spend.save([
      spendRow(),
      spendRow({ scope: 'caller', key: 'hello/key:a', spendNanos: 300, invocations: 1 }),
      spendRow({ scope: 'global', key: '*', periodStart: 0, periodEnd: 1_000_000, spendNanos: 9 }),
    ], []);
    const rows = await store.spend.current(1_500_000);
    assert.deepEqual(rows, [
      { ...spendRow({ scope: 'caller', key: 'hello/key:a', spendNanos: 300, invocations: 1 }), claimedNanos: 0 },
      { ...spendRow(), claimedNanos: 0 },
    ]);
    assert.deepEqual(await store.spend.current(2_000_000), [], 'a period ends at periodEnd (exclusive)');
  });

  withStore('spend: values only move in their safe direction', async (store) => {
    await store.spend.save([spendRow({ spendNanos: 800, invocations: 4, tier: 'throttle', alerted: 80, throttledAt: 1_200_000 })], []);
    // A stale or repeated batch: lower spend and counts, a lower alert, a later throttle time.
    await store.spend.save([spendRow({ spendNanos: 100, invocations: 1, tier: 'throttle', alerted: 50, throttledAt: 1_300_000 })], []);
    const [row] = await store.spend.current(1_500_000);
    assert.deepEqual(row, { ...spendRow({ spendNanos: 800, invocations: 4, tier: 'throttle', alerted: 80, throttledAt: 1_200_000 }), claimedNanos: 0 });
    // The tier is the last one written (a raised limit can bring a scope back to open).
    await store.spend.save([spendRow({ spendNanos: 900, invocations: 5, tier: 'open', alerted: 80, throttledAt: 1_200_000 })], []);
    const [after] = await store.spend.current(1_500_000);
    assert.deepEqual([after!.tier, after!.spendNanos, after!.throttledAt], ['open', 900, 1_200_000]);
  });

  withStore('spend: claims are only raised, survive a reopen, and are released down to spend', async (store, f) => {
    const claim = { scope: 'function' as const, key: 'hello', periodStart: 1_000_000, periodEnd: 2_000_000 };
    await store.spend.claim([{ ...claim, claimedNanos: 5_000 }, { ...claim, scope: 'global', key: '*', claimedNanos: 7_000 }]);
    await store.spend.claim([{ ...claim, claimedNanos: 3_000 }]);
    await store.spend.save([spendRow({ spendNanos: 1_200 })], []);
    await store.close();
    const reopened = await f.open();
    try {
      const rows = await reopened.spend.current(1_500_000);
      assert.deepEqual(rows.map((r) => [r.scope, r.spendNanos, r.claimedNanos]), [['function', 1_200, 5_000], ['global', 0, 7_000]]);
      await reopened.spend.releaseClaims();
      const released = await reopened.spend.current(1_500_000);
      assert.deepEqual(released.map((r) => [r.scope, r.spendNanos, r.claimedNanos]), [['function', 1_200, 1_200], ['global', 0, 0]]);
    } finally {
      await reopened.close();
    }
  });

  withStore('spend: caller history keeps the first and the last served time; prune forgets old rows', async (store) => {
    await store.spend.save([], [{ scopeKey: 'hello', caller: 'key:a', firstServedAt: 100, lastServedAt: 200 }]);
    await store.spend.save([], [
      { scopeKey: 'hello', caller: 'key:a', firstServedAt: 150, lastServedAt: 180 },
      { scopeKey: '*', caller: 'key:a', firstServedAt: 100, lastServedAt: 400 },
      { scopeKey: 'hello', caller: 'ip:127.0.0.1', firstServedAt: 50, lastServedAt: 60 },
    ]);
    assert.deepEqual(await store.spend.callers(0), [
      { scopeKey: '*', caller: 'key:a', firstServedAt: 100, lastServedAt: 400 },
      { scopeKey: 'hello', caller: 'ip:127.0.0.1', firstServedAt: 50, lastServedAt: 60 },
      { scopeKey: 'hello', caller: 'key:a', firstServedAt: 100, lastServedAt: 200 },
    ]);
    assert.deepEqual((await store.spend.callers(190)).map((c) => c.scopeKey), ['*', 'hello']);
    await store.spend.save([spendRow(), spendRow({ periodStart: 0, periodEnd: 1_000_000 })], []);
    await store.spend.prune(1_000_001, 100);
    assert.deepEqual((await store.spend.current(0)).map((r) => r.periodEnd), [2_000_000]);
    assert.deepEqual((await store.spend.callers(0)).map((c) => c.caller), ['key:a', 'key:a']);
  });

  withStore('spend: evicted rows are deleted before the batch is written; caller floors only rise', async (store) => {
    const caller = (key: string, over: Partial<SpendRecord> = {}) => spendRow({ scope: 'caller', key, ...over });
    await store.spend.save([caller('hello/ip:a', { spendNanos: 300 }), caller('hello/ip:b'), spendRow({ callerFloorNanos: 50 })], [
      { scopeKey: 'hello', caller: 'ip:a', firstServedAt: 100, lastServedAt: 200 },
      { scopeKey: 'hello', caller: 'ip:b', firstServedAt: 100, lastServedAt: 200 },
    ]);
    const key = { periodStart: 1_000_000, periodEnd: 2_000_000 };
    // ip:a is evicted (its spend goes into the function's floor); ip:b is evicted and seen again at once.
    await store.spend.save(
      [caller('hello/ip:b', { spendNanos: 300, invocations: 0 }), spendRow({ callerFloorNanos: 300 })],
      [{ scopeKey: 'hello', caller: 'ip:b', firstServedAt: 900, lastServedAt: 900 }],
      {
        spend: [{ scope: 'caller', key: 'hello/ip:a', ...key }, { scope: 'caller', key: 'hello/ip:b', ...key }],
        callers: [{ scopeKey: 'hello', caller: 'ip:a' }, { scopeKey: 'hello', caller: 'ip:b' }],
      },
    );
    assert.deepEqual((await store.spend.current(1_500_000)).map((r) => [r.key, r.spendNanos, r.invocations, r.callerFloorNanos]), [
      ['hello/ip:b', 300, 0, 0],
      ['hello', 500, 2, 300],
    ]);
    assert.deepEqual(await store.spend.callers(0), [{ scopeKey: 'hello', caller: 'ip:b', firstServedAt: 900, lastServedAt: 900 }], 'a history written again starts over');
    await store.spend.save([spendRow({ callerFloorNanos: 10 })], []);
    assert.equal((await store.spend.current(1_500_000)).find((r) => r.scope === 'function')!.callerFloorNanos, 300);
  });

  withStore('ip blocks: block, list, replace, unblock once, with the history and its evidence', async (store) => {
    const evidence = [{ at: '2030-01-01T00:00:00.000Z', type: 'guard.rejected', requestId: 'r1', function: 'hello', guard: 'injection', rule: 'sql', code: 'BWK_E_GUARD_INJECTION', weight: 3 }];
    const auto = { address: '203.0.113.7', kind: 'automatic' as const, reason: 'abuse score 12 ≥ 12', actor: 'abuse-scorer', createdAt: '2030-01-01T00:00:01.000Z', expiresAt: '2030-01-01T00:10:01.000Z', offence: 1, evidence };
    await store.blocks.block(auto);
    await store.blocks.block({ address: '2001:db8::1', kind: 'manual', reason: 'scanner', actor: 'key:admin', createdAt: '2030-01-01T00:00:02.000Z', expiresAt: null, offence: 0, evidence: [] });
    assert.deepEqual(await store.blocks.list(), [auto, { address: '2001:db8::1', kind: 'manual', reason: 'scanner', actor: 'key:admin', createdAt: '2030-01-01T00:00:02.000Z', expiresAt: null, offence: 0, evidence: [] }]);
    // A second block of the same address replaces the first (a longer TTL for a repeat offence).
    const again = { ...auto, createdAt: '2030-01-01T00:20:00.000Z', expiresAt: '2030-01-01T00:40:00.000Z', offence: 2 };
    await store.blocks.block(again);
    assert.deepEqual((await store.blocks.list()).filter((b) => b.address === '203.0.113.7'), [again]);
    const lifted = await store.blocks.unblock('203.0.113.7', { at: '2030-01-01T00:30:00.000Z', actor: 'key:admin', reason: 'false positive', kind: 'manual' });
    assert.deepEqual(lifted, again);
    assert.equal(await store.blocks.unblock('203.0.113.7', { at: '2030-01-01T00:31:00.000Z', actor: 'key:admin', reason: 'again', kind: 'manual' }), undefined, 'nothing to lift twice');
    assert.deepEqual((await store.blocks.list()).map((b) => b.address), ['2001:db8::1']);
    const history = await store.blocks.history({ address: '203.0.113.7', limit: 10 });
    assert.deepEqual(history.map((h) => [h.action, h.kind, h.reason, h.offence]), [
      ['unblocked', 'manual', 'false positive', 2],
      ['blocked', 'automatic', 'abuse score 12 ≥ 12', 2],
      ['blocked', 'automatic', 'abuse score 12 ≥ 12', 1],
    ]);
    assert.deepEqual(history[2]!.evidence, evidence);
    assert.equal(history[2]!.expiresAt, auto.expiresAt);
    assert.ok(history[0]!.id > history[1]!.id && history[1]!.id > history[2]!.id, 'newest first');
    assert.equal((await store.blocks.history({ limit: 2 })).length, 2);
    assert.equal((await store.blocks.history({ limit: 10 })).length, 4);
  });

  withStore('ip blocks: automatic blocks are counted per address since a time, manual ones are not', async (store) => {
    const at = (m: number) => new Date(Date.UTC(2030, 0, 1, 0, m)).toISOString();
    const block = (address: string, kind: 'automatic' | 'manual', m: number) =>
      store.blocks.block({ address, kind, reason: 'r', actor: 'a', createdAt: at(m), expiresAt: at(m + 5), offence: kind === 'manual' ? 0 : 1, evidence: [] });
    await block('198.51.100.1', 'automatic', 0);
    await block('198.51.100.1', 'automatic', 10);
    await block('198.51.100.1', 'manual', 20);
    await block('198.51.100.2', 'automatic', 30);
    assert.equal(await store.blocks.countAutomatic('198.51.100.1', at(0)), 2);
    assert.equal(await store.blocks.countAutomatic('198.51.100.1', at(5)), 1);
    assert.equal(await store.blocks.countAutomatic('198.51.100.1', at(11)), 0);
    assert.equal(await store.blocks.countAutomatic('198.51.100.3', at(0)), 0);
  });

  withStore('ip blocks survive closing and reopening', async (store, f) => {
    const b = { address: '192.0.2.9', kind: 'automatic' as const, reason: 'r', actor: 'abuse-scorer', createdAt: '2030-01-01T00:00:00.000Z', expiresAt: '2030-01-02T00:00:00.000Z', offence: 3, evidence: [{ at: '2030-01-01T00:00:00.000Z', type: 'auth.failed', reason: 'key-unknown', weight: 2 }] };
    await store.blocks.block(b);
    await store.close();
    const reopened = await f.open();
    try {
      assert.deepEqual(await reopened.blocks.list(), [b]);
      assert.equal((await reopened.blocks.history({ address: '192.0.2.9', limit: 5 })).length, 1);
    } finally {
      await reopened.close();
    }
  });

  // ---- dead letters ---------------------------------------------------------------------------------

  const letter = (n: number, over: Partial<DeadLetter> = {}): DeadLetter => ({
    id: `dl-${n}`, at: new Date(Date.UTC(2030, 0, 1, 0, 0, n)).toISOString(), source: 'queue', subject: 'images.uploaded',
    function: 'hello', version: 1, messageId: `m-${n}`, actor: 'key:abc', payload: JSON.stringify({ n }), payloadBytes: 7,
    reason: 'BWK_E_GUARD_INPUT_INVALID', guard: 'schema', rule: null, attempts: 0, ...over,
  });

  withStore('dead letters: kept whole, listed newest first, by function and by scope', async (store) => {
    await store.deadLetters.add(letter(1));
    await store.deadLetters.add(letter(2, { function: 'other', source: 'schedule', subject: null, actor: 'scheduler', guard: null, reason: 'BWK_E_SANDBOX_FUNCTION_ERROR', attempts: 3 }));
    await store.deadLetters.add(letter(3, { rule: 'sql', guard: 'injection' }));
    assert.deepEqual(await store.deadLetters.list({ limit: 10 }), [letter(3, { rule: 'sql', guard: 'injection' }), letter(2, {
      function: 'other', source: 'schedule', subject: null, actor: 'scheduler', guard: null, reason: 'BWK_E_SANDBOX_FUNCTION_ERROR', attempts: 3,
    }), letter(1)]);
    assert.deepEqual((await store.deadLetters.list({ function: 'hello', limit: 10 })).map((l) => l.id), ['dl-3', 'dl-1']);
    assert.deepEqual((await store.deadLetters.list({ limit: 1 })).map((l) => l.id), ['dl-3']);
    assert.deepEqual((await store.deadLetters.list({ functions: ['other', 'nope'], limit: 10 })).map((l) => l.id), ['dl-2']);
    assert.deepEqual(await store.deadLetters.list({ functions: [], limit: 10 }), []);
    assert.deepEqual(await store.deadLetters.list({ function: 'hello', functions: ['other'], limit: 10 }), []);
  });

  withStore('dead letters: a function keeps its newest DEAD_LETTER_RETENTION, others are untouched', async (store) => {
    await store.deadLetters.add(letter(0, { function: 'other' }));
    for (let i = 1; i <= DEAD_LETTER_RETENTION + 2; i++) await store.deadLetters.add(letter(i));
    const kept = await store.deadLetters.list({ function: 'hello', limit: DEAD_LETTER_RETENTION + 10 });
    assert.equal(kept.length, DEAD_LETTER_RETENTION);
    assert.equal(kept.at(-1)!.id, 'dl-3');
    assert.equal((await store.deadLetters.list({ function: 'other', limit: 10 })).length, 1);
  });

  withStore('dead letters survive reopening and go when their function is removed', async (store, f) => {
    await store.functions.deploy(sampleVersion('hello'));
    await store.deadLetters.add(letter(1));
    await store.deadLetters.add(letter(2, { function: 'other' }));
    await store.close();
    const reopened = await f.open();
    try {
      assert.deepEqual(await reopened.deadLetters.list({ function: 'hello', limit: 10 }), [letter(1)]);
      await reopened.functions.remove('hello');
      assert.deepEqual(await reopened.deadLetters.list({ function: 'hello', limit: 10 }), []);
      assert.equal((await reopened.deadLetters.list({ limit: 10 })).length, 1);
    } finally {
      await reopened.close();
    }
  });
  // Publisher keys (code signing, src/signing/).
  const publisher = (id: string, over: Partial<PublisherKeyRecord> = {}): PublisherKeyRecord => ({
    id, name: `publisher ${id}`, publicKey: Buffer.from(`public key of ${id}`).toString('base64'),
    createdAt: new Date().toISOString(), revokedAt: null, ...over,
  });

  withStore('publisher keys: insert, get, list; the same key twice is refused', async (store) => {
    assert.equal(await store.publishers.get('pub_a'), undefined);
    await store.publishers.insert(publisher('pub_a', { createdAt: '2026-01-01T00:00:00.000Z' }));
    await store.publishers.insert(publisher('pub_b', { createdAt: '2026-01-02T00:00:00.000Z' }));
    assert.deepEqual(await store.publishers.get('pub_a'), publisher('pub_a', { createdAt: '2026-01-01T00:00:00.000Z' }));
    assert.deepEqual((await store.publishers.list()).map((k) => k.id), ['pub_a', 'pub_b']);
    await assert.rejects(store.publishers.insert(publisher('pub_a')), isCode('BWK_E_SIGNING_KEY_EXISTS'));
    // The same public key under another id is the same key.
    await assert.rejects(store.publishers.insert(publisher('pub_c', { publicKey: publisher('pub_a').publicKey })), isCode('BWK_E_SIGNING_KEY_EXISTS'));
    assert.equal((await store.publishers.list()).length, 2);
  });

  withStore('publisher keys: revoke once, kept on record, survives reopening', async (store, f) => {
    await store.publishers.insert(publisher('pub_a'));
    assert.equal(await store.publishers.revoke('pub_a', '2026-03-01T00:00:00.000Z'), true);
    assert.equal(await store.publishers.revoke('pub_a', '2026-03-02T00:00:00.000Z'), false);
    assert.equal(await store.publishers.revoke('pub_none', '2026-03-02T00:00:00.000Z'), false);
    await store.close();
    const reopened = await f.open();
    try {
      assert.equal((await reopened.publishers.get('pub_a'))?.revokedAt, '2026-03-01T00:00:00.000Z');
      assert.equal((await reopened.publishers.list()).length, 1);
    } finally {
      await reopened.close();
    }
  });

  withStore('capability use: counts add up, first/last seen widen, per function, survives reopening', async (store, f) => {
    const use = (over: Partial<CapabilityUse>): CapabilityUse => ({
      function: 'alpha', capability: 'secrets', target: 'DB_URL', outcome: 'used', count: 1, firstSeen: 2000, lastSeen: 3000, ...over,
    });
    await store.capabilityUse.record([use({}), use({ capability: 'fetch', target: 'api.example.com:443', count: 4 }), use({ function: 'beta' })]);
    await store.capabilityUse.record([use({ count: 2, firstSeen: 1000, lastSeen: 2500 }), use({ outcome: 'denied', target: 'OTHER' })]);
    await store.capabilityUse.record([]);
    await store.close();
    const reopened = await f.open();
    try {
      assert.deepEqual(await reopened.capabilityUse.list('alpha'), [
        use({ capability: 'fetch', target: 'api.example.com:443', count: 4 }),
        use({ target: 'DB_URL', count: 3, firstSeen: 1000, lastSeen: 3000 }),
        use({ target: 'OTHER', outcome: 'denied' }),
      ]);
      assert.equal((await reopened.capabilityUse.list('beta')).length, 1);
      assert.deepEqual(await reopened.capabilityUse.list('gamma'), []);
    } finally {
      await reopened.close();
    }
  });

  withStore('kv: put replaces, get/delete/list are per namespace, entries survive reopening', async (store, f) => {
    const entry = (namespace: string, key: string, value: unknown, updatedBy = 'writer') => ({ namespace, key, value: JSON.stringify(value), updatedAt: '2026-03-01T00:00:00.000Z', updatedBy });
    await store.kv.put(entry('orders', 'o-1', { total: 5 }));
    await store.kv.put(entry('orders', 'o-1', { total: 7 }, 'other'));
    await store.kv.put(entry('orders', 'o-2', 'two'));
    await store.kv.put(entry('orders', 'p%_1', null));
    await store.kv.put(entry('orders-archive', 'o-1', 'archived'));
    assert.deepEqual(await store.kv.get('orders', 'o-1'), entry('orders', 'o-1', { total: 7 }, 'other'));
    assert.equal(await store.kv.get('orders', 'o-3'), undefined);
    assert.equal(await store.kv.get('other', 'o-1'), undefined);
    assert.deepEqual(await store.kv.list('orders', { prefix: '', limit: 10 }), ['o-1', 'o-2', 'p%_1']);
    assert.deepEqual(await store.kv.list('orders', { prefix: 'o-', limit: 1 }), ['o-1']);
    // The prefix is literal: % and _ are no wildcards.
    assert.deepEqual(await store.kv.list('orders', { prefix: '%', limit: 10 }), []);
    assert.deepEqual(await store.kv.list('orders', { prefix: 'p%_', limit: 10 }), ['p%_1']);
    assert.equal(await store.kv.delete('orders', 'o-2'), true);
    assert.equal(await store.kv.delete('orders', 'o-2'), false);
    await store.close();
    const reopened = await f.open();
    try {
      assert.deepEqual(await reopened.kv.list('orders', { prefix: '', limit: 10 }), ['o-1', 'p%_1']);
      assert.deepEqual(await reopened.kv.get('orders-archive', 'o-1'), entry('orders-archive', 'o-1', 'archived'));
    } finally {
      await reopened.close();
    }
  });

  withStore('kv: keys and values over their bounds are refused and nothing is written', async (store) => {
    const entry = (key: string, value: string) => ({ namespace: 'ns', key, value, updatedAt: '2026-03-01T00:00:00.000Z', updatedBy: 'writer' });
    await assert.rejects(store.kv.put(entry('', '1')), isCode('BWK_E_KV_KEY_INVALID'));
    await assert.rejects(store.kv.put(entry('é'.repeat(KV_LIMITS.keyBytes / 2 + 1), '1')), isCode('BWK_E_KV_KEY_INVALID'));
    await assert.rejects(store.kv.put(entry('big', JSON.stringify('x'.repeat(KV_LIMITS.valueBytes)))), isCode('BWK_E_KV_VALUE_TOO_LARGE'));
    await store.kv.put(entry('k'.repeat(KV_LIMITS.keyBytes), JSON.stringify('x'.repeat(KV_LIMITS.valueBytes - 2))));
    assert.deepEqual(await store.kv.list('ns', { prefix: '', limit: 10 }), ['k'.repeat(KV_LIMITS.keyBytes)]);
  });

  withStore('incidents: repeated matches append to the unresolved incident; resolved ones make way for a new one', async (store, f) => {
    const entry = (at: string, summary = 'matched') => ({ at, kind: 'trigger' as const, actor: 'incidents:r1', summary, detail: { count: 3 } });
    const first = await store.incidents.recordMatch({ id: 'inc_1', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: entry('2026-03-01T00:00:00.000Z') });
    assert.equal(first.opened, true);
    assert.equal(first.incident.status, 'open');
    assert.deepEqual(first.incident.timeline, [entry('2026-03-01T00:00:00.000Z')]);
    const again = await store.incidents.recordMatch({ id: 'inc_2', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: entry('2026-03-01T00:01:00.000Z', 'again') });
    assert.equal(again.opened, false);
    assert.equal(again.incident.id, 'inc_1');
    assert.equal(again.incident.matches, 2);
    assert.equal(again.incident.updatedAt, '2026-03-01T00:01:00.000Z');
    // Another key or another rule is another incident.
    assert.equal((await store.incidents.recordMatch({ id: 'inc_3', rule: 'r1', severity: 'high', key: '203.0.113.8', entry: entry('2026-03-01T00:02:00.000Z') })).opened, true);
    assert.equal((await store.incidents.recordMatch({ id: 'inc_4', rule: 'r2', severity: 'low', key: '203.0.113.7', entry: entry('2026-03-01T00:03:00.000Z') })).opened, true);

    const action = { at: '2026-03-01T00:04:00.000Z', kind: 'action' as const, actor: 'incidents:r1', summary: 'block-address 203.0.113.7: done' };
    assert.deepEqual((await store.incidents.append('inc_1', action))?.timeline.at(-1), action);
    assert.equal(await store.incidents.append('inc_missing', action), undefined);

    const ack = { at: '2026-03-01T00:05:00.000Z', kind: 'acknowledged' as const, actor: 'key:admin', summary: 'looking' };
    const acked = await store.incidents.transition('inc_1', ['open'], 'acknowledged', ack);
    assert.equal(acked?.changed, true);
    assert.equal(acked?.incident.status, 'acknowledged');
    const refused = await store.incidents.transition('inc_1', ['open'], 'acknowledged', ack);
    assert.equal(refused?.changed, false, 'only an open incident can be acknowledged');
    assert.equal(refused?.incident.timeline.length, 4, 'a refused move writes nothing');
    assert.equal(await store.incidents.transition('inc_missing', ['open'], 'resolved', ack), undefined);
    // Acknowledged is still in progress: a match appends to it.
    assert.equal((await store.incidents.recordMatch({ id: 'inc_5', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: entry('2026-03-01T00:06:00.000Z') })).incident.id, 'inc_1');
    const resolved = await store.incidents.transition('inc_1', ['open', 'acknowledged'], 'resolved', { ...ack, kind: 'resolved', at: '2026-03-01T00:07:00.000Z' });
    assert.equal(resolved?.incident.status, 'resolved');
    const fresh = await store.incidents.recordMatch({ id: 'inc_6', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: entry('2026-03-01T00:08:00.000Z') });
    assert.deepEqual([fresh.opened, fresh.incident.id], [true, 'inc_6']);

    assert.deepEqual((await store.incidents.list({ limit: 10 })).map((i) => i.id), ['inc_6', 'inc_1', 'inc_4', 'inc_3']);
    assert.deepEqual((await store.incidents.list({ status: 'resolved', limit: 10 })).map((i) => [i.id, i.timeline.length]), [['inc_1', 0]]);
    assert.deepEqual((await store.incidents.list({ status: 'open', limit: 1 })).map((i) => i.id), ['inc_6']);
    await store.close();
    const reopened = await f.open();
    try {
      const kept = await reopened.incidents.get('inc_1');
      assert.deepEqual(kept?.timeline.map((e) => e.kind), ['trigger', 'trigger', 'action', 'acknowledged', 'trigger', 'resolved']);
      assert.equal(kept?.matches, 3);
    } finally {
      await reopened.close();
    }
  });

  withStore('incidents: the timeline stops at INCIDENT_TIMELINE_LIMIT for triggers and actions, never for acknowledging or resolving', async (store) => {
    const at = '2026-03-01T00:00:00.000Z';
    await store.incidents.recordMatch({ id: 'inc_1', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: { at, kind: 'trigger', actor: 'rule:r1', summary: 'first' } });
    const action = { at, kind: 'action' as const, actor: 'incident:inc_1', summary: 'block-address 203.0.113.7: skipped (already blocked)' };
    for (let i = 1; i < INCIDENT_TIMELINE_LIMIT; i++) await store.incidents.append('inc_1', action);
    const full = await store.incidents.append('inc_1', { ...action, summary: 'one too many' });
    assert.equal(full?.timeline.length, INCIDENT_TIMELINE_LIMIT);
    assert.notEqual(full?.timeline.at(-1)?.summary, 'one too many');
    const again = await store.incidents.recordMatch({ id: 'inc_2', rule: 'r1', severity: 'high', key: '203.0.113.7', entry: { at, kind: 'trigger', actor: 'rule:r1', summary: 'again' } });
    assert.equal(again.incident.matches, 2, 'a match beyond the limit still counts');
    assert.equal(again.incident.timeline.length, INCIDENT_TIMELINE_LIMIT);
    const resolved = await store.incidents.transition('inc_1', ['open'], 'resolved', { at, kind: 'resolved', actor: 'key:admin', summary: 'done' });
    assert.equal(resolved?.incident.timeline.at(-1)?.kind, 'resolved');
  });

  withStore('scans: a record per version, read back whole, survives reopen, replaced for the same version', async (store, f) => {
    const waived = [{ ruleId: 'BWK-INJ-CMD', severity: 'critical', file: 'src/index.js', line: 4, reason: 'input is an enum', expires: '2099-01-01', approvedBy: 'sec@example.com' }];
    const rec = (version: number, over: Record<string, unknown> = {}) => ({
      function: 'alpha', version, recordedAt: `2026-03-0${version}T00:00:00.000Z`, actor: 'key_a', source: 'cli' as const, failOn: 'high',
      counts: { info: 0, low: 1, medium: 0, high: 0, critical: 1 }, serverCounts: { low: 1 }, suppressed: 2, files: 7, waived, ...over,
    });
    assert.equal(await store.scans.get('alpha', 1), undefined);
    await store.scans.record(rec(2));
    await store.scans.record(rec(1, { source: 'none', counts: {}, waived: [] }));
    await store.scans.record({ ...rec(1), function: 'beta' });
    assert.deepEqual(await store.scans.get('alpha', 2), rec(2));
    assert.deepEqual((await store.scans.list('alpha')).map((r) => [r.version, r.source]), [[1, 'none'], [2, 'cli']]);
    await store.scans.record(rec(2, { actor: 'key_b' }));
    await store.close();
    const reopened = await f.open();
    try {
      assert.equal((await reopened.scans.get('alpha', 2))?.actor, 'key_b');
      assert.deepEqual((await reopened.scans.get('alpha', 2))?.waived, waived);
      assert.equal((await reopened.scans.list('beta')).length, 1);
    } finally {
      await reopened.close();
    }
  });
}
