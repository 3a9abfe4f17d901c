// The one contract every Store implementation passes (sqlite now, PostgreSQL later). A backend's test
// calls runStoreContract(name, fixture): `fixture()` makes fresh, empty state for one test and returns
// `open()` (may be called again after close() to reopen the same state) and `destroy()`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { parseManifest } from '../manifest/parse.ts';
import { FUNCTION_LOG_RETENTION, type ApiKeyRecord, type NewFunctionVersion, type Store } from './store.ts';

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
}
