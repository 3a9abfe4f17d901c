// The deploy signature check against a real SQLite store of publisher keys and the in-process bus.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import type { FunctionVersion, Store, VersionSignature } from '../store/store.ts';
import { createLogger } from '../telemetry/logger.ts';
import { generatePublisherKey, readPrivateKey, signDeploy, type SignedContent } from './signature.ts';
import { checkDeploySignature, checkRollbackSignature, type SignatureCheckDeps } from './verify.ts';

let dir: string;
let store: Store;
const bus = createInProcessBus();
const events: SecurityEvent[] = [];
bus.subscribe('security', (e) => void events.push(e));
const logger = createLogger({ level: 'silent' });
const publisher = generatePublisherKey();
const revoked = generatePublisherKey();
const stranger = generatePublisherKey();

const content: SignedContent = { name: 'hello', sha256: createHash('sha256').update('b').digest('hex'), manifestSource: 'name: hello\n', files: {} };
const sign = (pem: string, c = content) => signDeploy(readPrivateKey(pem, 'key.pem'), c);
const deps = (mode: SignatureCheckDeps['mode']): SignatureCheckDeps => ({ mode, publishers: store.publishers, bus, logger });
const isCode = (code: string) => (err: unknown) => err instanceof BulwarkError && err.code === code;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'bwk-signing-'));
  store = await openSqliteStore(dir);
  const at = new Date().toISOString();
  await store.publishers.insert({ id: publisher.keyId, name: 'ci', publicKey: publisher.publicKey, createdAt: at, revokedAt: null });
  await store.publishers.insert({ id: revoked.keyId, name: 'old', publicKey: revoked.publicKey, createdAt: at, revokedAt: null });
  await store.publishers.revoke(revoked.keyId, at);
});

after(async () => {
  await store.close();
  await bus.close();
  await rm(dir, { recursive: true, force: true });
});

test('enforce: only a valid signature by a registered, unrevoked key passes; each verdict is an event', async () => {
  const cases: Array<[string, ReturnType<typeof sign> | undefined, string]> = [
    ['unsigned', undefined, 'BWK_E_SIGNING_UNSIGNED'],
    ['unknown-key', sign(stranger.privateKeyPem), 'BWK_E_SIGNING_UNKNOWN_KEY'],
    ['revoked-key', sign(revoked.privateKeyPem), 'BWK_E_SIGNING_KEY_REVOKED'],
    ['invalid', sign(publisher.privateKeyPem, { ...content, sha256: 'a'.repeat(64) }), 'BWK_E_SIGNING_INVALID'],
  ];
  for (const [verdict, sig, code] of cases) {
    await assert.rejects(checkDeploySignature(deps('enforce'), content, sig, 'key_x', `req-${verdict}`), isCode(code));
    const e = events.find((x) => x.requestId === `req-${verdict}`);
    assert.equal(e?.type, 'deploy.signature-checked');
    assert.deepEqual(e?.detail, { mode: 'enforce', verdict, keyId: sig?.keyId ?? null, accepted: false, sha256: content.sha256 });
  }
  assert.equal(await checkDeploySignature(deps('enforce'), content, sign(publisher.privateKeyPem), 'key_x', 'req-ok'), 'signed');
  assert.equal(events.find((x) => x.requestId === 'req-ok')?.detail?.accepted, true);
});

test('warn: a bad signature is accepted but recorded; off: nothing is checked', async () => {
  assert.equal(await checkDeploySignature(deps('warn'), content, undefined, 'key_x', 'req-warn'), 'unsigned');
  assert.deepEqual(events.find((x) => x.requestId === 'req-warn')?.detail, { mode: 'warn', verdict: 'unsigned', keyId: null, accepted: true, sha256: content.sha256 });
  assert.equal(await checkDeploySignature(deps('off'), content, undefined, 'key_x', 'req-off'), undefined);
  assert.equal(events.find((x) => x.requestId === 'req-off'), undefined);
});

test('rollback: the stored signature is verified over the statement rebuilt from the stored version', async () => {
  const files = { 'schema.json': '{"type":"object"}' };
  const signedContent = { ...content, files };
  const target = { name: content.name, version: 3, sha256: content.sha256, manifestSource: content.manifestSource } as FunctionVersion;
  const stored = (pem: string): VersionSignature => ({ ...sign(pem, signedContent), files, name: 'hello', version: 3, verifiedAt: new Date().toISOString() });
  await checkRollbackSignature(deps('enforce'), target, stored(publisher.privateKeyPem), 'key_x', 'rb-ok');
  assert.deepEqual(events.find((x) => x.requestId === 'rb-ok')?.detail, { mode: 'enforce', verdict: 'signed', keyId: publisher.keyId, accepted: true, sha256: content.sha256 });
  const cases: Array<[string, FunctionVersion, VersionSignature | undefined, string]> = [
    ['unsigned', target, undefined, 'BWK_E_SIGNING_UNSIGNED'],
    ['revoked-key', target, stored(revoked.privateKeyPem), 'BWK_E_SIGNING_KEY_REVOKED'],
    // The stored version no longer matches what was signed: another manifest, name, or stored files.
    ['invalid', { ...target, manifestSource: 'name: hello\npermissions: {}\n' }, stored(publisher.privateKeyPem), 'BWK_E_SIGNING_INVALID'],
    ['invalid', { ...target, name: 'other' }, stored(publisher.privateKeyPem), 'BWK_E_SIGNING_INVALID'],
    ['invalid', target, { ...stored(publisher.privateKeyPem), files: {} }, 'BWK_E_SIGNING_INVALID'],
  ];
  for (const [i, [verdict, version, sig, code]] of cases.entries()) {
    await assert.rejects(checkRollbackSignature(deps('enforce'), version, sig, 'key_x', `rb-${i}`), (err: unknown) => isCode(code)(err) && /^Rollback of \S+ to version 3 refused/.test((err as Error).message));
    const e = events.find((x) => x.requestId === `rb-${i}`);
    assert.deepEqual([e?.type, e?.version, e?.detail?.verdict, e?.detail?.accepted], ['rollback.signature-checked', 3, verdict, false]);
  }
  await checkRollbackSignature(deps('warn'), target, undefined, 'key_x', 'rb-warn');
  assert.equal(events.find((x) => x.requestId === 'rb-warn')?.detail?.accepted, true);
  await checkRollbackSignature(deps('off'), target, undefined, 'key_x', 'rb-off');
  assert.equal(events.find((x) => x.requestId === 'rb-off'), undefined);
});
