// Acceptance: code signing on the real platform with `signing: enforce`. A deploy must carry a valid
// signature by a registered, unrevoked publisher key over the function name, bundle and manifest, or it
// is refused, recorded and nothing is stored; a bundle file modified on disk after deploy is refused
// when a new worker would load it, recorded, and its code never runs.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { assertError, deployBody, manifest, runCli, startTestPlatform, writeFunction, type Answer, type TestPlatform } from '../support/platform.ts';
import { generatePublisherKey, readPrivateKey, signDeploy, type DeploySignature } from '../../src/signing/signature.ts';

let tp: TestPlatform;
const publisher = generatePublisherKey();

before(async () => {
  // No warm spares: after a worker dies, the next invocation must start (and load) a fresh one.
  tp = await startTestPlatform({ overrides: { signing: 'enforce', sandbox: { warmWorkers: 0 } } });
  const added = await tp.request('POST', '/admin/v1/publishers', { key: tp.adminKey, body: { name: 'ci', publicKey: publisher.publicKey } });
  assert.equal(added.status, 201, added.text);
  assert.equal(added.json.id, publisher.keyId);
});

after(async () => {
  await tp?.close();
});

/** A function answering `label`; with ?die=1 its worker process exits instead. */
function source(name: string, label: string): Record<string, string> {
  return {
    'bulwark.yaml': manifest(name, ['{ method: GET, path: / }']),
    'index.mjs': `export const handler = async (event) => {
  if (event.queryStringParameters?.die) process.exit(3);
  return { statusCode: 200, body: ${JSON.stringify(label)} };
};\n`,
  };
}

interface Built {
  name: string;
  payload: { manifest: string; files: Record<string, string>; bundle: string; sha256: string };
}

async function build(files: Record<string, string>): Promise<Built> {
  const { name, body } = await deployBody(await writeFunction(files));
  return { name, payload: JSON.parse(body) };
}

function signatureBy(pem: string, b: Built): DeploySignature {
  return signDeploy(readPrivateKey(pem, 'key.pem'), { name: b.name, sha256: b.payload.sha256, manifestSource: b.payload.manifest, files: b.payload.files });
}

function invoke(path: string): Promise<Answer> {
  return tp.request('GET', path, { key: tp.adminKey });
}

function deploy(b: Built, signature?: DeploySignature): Promise<Answer> {
  return tp.request('POST', '/admin/v1/functions', { key: tp.adminKey, body: { ...b.payload, ...(signature ? { signature } : {}) } });
}

async function expectRefused(answer: Answer, code: string, verdict: string, name: string): Promise<void> {
  assertError(answer, 422, code, tp.secrets);
  const checked = await tp.expectEvent('deploy.signature-checked', answer.requestId);
  assert.equal(checked.detail?.verdict, verdict);
  assert.equal(checked.detail?.accepted, false);
  const rejected = await tp.expectEvent('deploy.rejected', answer.requestId);
  assert.equal(rejected.detail?.code, code);
  assert.deepEqual(await tp.versions(name), { active: undefined, versions: [] }, 'nothing was stored');
}

test('enforce: unsigned, unknown-key and mismatched deploys are refused and recorded; nothing is stored', async () => {
  const b = await build(source('unsigned-fn', 'v1'));
  await expectRefused(await deploy(b), 'BWK_E_SIGNING_UNSIGNED', 'unsigned', b.name);

  const stranger = generatePublisherKey();
  await expectRefused(await deploy(b, signatureBy(stranger.privateKeyPem, b)), 'BWK_E_SIGNING_UNKNOWN_KEY', 'unknown-key', b.name);

  // A valid signature by the registered key, but over a different bundle.
  const other = await build(source('unsigned-fn', 'some other code'));
  await expectRefused(await deploy(b, signatureBy(publisher.privateKeyPem, other)), 'BWK_E_SIGNING_INVALID', 'invalid', b.name);

  // The signed bundle paired with a more permissive manifest than the one signed.
  const signed = signatureBy(publisher.privateKeyPem, b);
  const widened = { ...b, payload: { ...b.payload, manifest: b.payload.manifest + 'permissions:\n  egress: ["api.example.com:443"]\n' } };
  await expectRefused(await deploy(widened, signed), 'BWK_E_SIGNING_INVALID', 'invalid', b.name);

  // The signature of one function replayed for another name with the same code.
  const renamed = await build(source('renamed-fn', 'v1'));
  assert.equal(renamed.payload.sha256, b.payload.sha256, 'same bundle bytes');
  await expectRefused(await deploy(renamed, signed), 'BWK_E_SIGNING_INVALID', 'invalid', renamed.name);
});

test('enforce: a correctly signed deploy is accepted and serves', async () => {
  const b = await build(source('signed-fn', 'signed v1'));
  const answer = await deploy(b, signatureBy(publisher.privateKeyPem, b));
  assert.equal(answer.status, 201, answer.text);
  const checked = await tp.expectEvent('deploy.signature-checked', answer.requestId);
  assert.deepEqual(checked.detail, { mode: 'enforce', verdict: 'signed', keyId: publisher.keyId, accepted: true, sha256: b.payload.sha256 });
  const run = await invoke('/fn/signed-fn/');
  assert.equal(run.status, 200, run.text);
  assert.equal(run.text, 'signed v1');
});

test('a revoked publisher key is refused from the next deploy on', async () => {
  const key = generatePublisherKey();
  const added = await tp.request('POST', '/admin/v1/publishers', { key: tp.adminKey, body: { name: 'contractor', publicKey: key.publicKey } });
  assert.equal(added.status, 201, added.text);
  const v1 = await build(source('revoke-fn', 'v1'));
  assert.equal((await deploy(v1, signatureBy(key.privateKeyPem, v1))).status, 201);

  const revoked = await tp.request('DELETE', `/admin/v1/publishers/${key.keyId}`, { key: tp.adminKey });
  assert.equal(revoked.status, 200, revoked.text);
  assert.equal(revoked.json.revoked, true);
  await tp.expectEvent('publisher.revoked', revoked.requestId);

  const v2 = await build(source('revoke-fn', 'v2'));
  const answer = await deploy(v2, signatureBy(key.privateKeyPem, v2));
  assertError(answer, 422, 'BWK_E_SIGNING_KEY_REVOKED', tp.secrets);
  assert.equal((await tp.expectEvent('deploy.signature-checked', answer.requestId)).detail?.verdict, 'revoked-key');
  assert.deepEqual(await tp.versions('revoke-fn'), { active: 1, versions: [1] }, 'v1 keeps serving, v2 was not stored');
});

test('publisher keys are managed by admins scoped to * only', async () => {
  const deployer = await tp.createKey({ role: 'deployer', functions: ['*'] });
  const scopedAdmin = await tp.createKey({ role: 'admin', functions: ['signed-fn'] });
  const body = { name: 'sneaky', publicKey: generatePublisherKey().publicKey };
  for (const k of [deployer.key, scopedAdmin.key]) {
    const answer = await tp.request('POST', '/admin/v1/publishers', { key: k, body });
    assertError(answer, 403, 'BWK_E_GUARD_FORBIDDEN', tp.secrets);
    await tp.expectEvent('authz.denied', answer.requestId);
  }
  const list = await tp.request('GET', '/admin/v1/publishers', { key: tp.adminKey });
  assert.ok(!list.json.publishers.some((p: { name: string }) => p.name === 'sneaky'));
});

test('a bundle file modified on disk after deploy is refused when a new worker loads it, and recorded', async () => {
  const b = await build(source('tamper-fn', 'genuine'));
  assert.equal((await deploy(b, signatureBy(publisher.privateKeyPem, b))).status, 201);
  assert.equal((await invoke('/fn/tamper-fn/')).text, 'genuine');

  const file = join(tp.home, 'bundles', `${b.payload.sha256}.mjs`);
  assert.equal((await stat(file)).mode & 0o777, 0o444, 'bundle files are read-only');
  await chmod(file, 0o644);
  await writeFile(file, 'export const handler = async () => ({ statusCode: 200, body: "tampered code ran" });\n');

  // Kill the warm worker: the next invocation has to start a fresh one on the file.
  await invoke('/fn/tamper-fn/?die=1');
  const refused = await invoke('/fn/tamper-fn/');
  assertError(refused, 502, 'BWK_E_SANDBOX_BUNDLE_TAMPERED', tp.secrets);
  assert.doesNotMatch(refused.text, /tampered code ran/);
  const event = tp.events.find((e) => e.type === 'sandbox.bundle-tampered' && e.function === 'tamper-fn');
  assert.ok(event, 'sandbox.bundle-tampered recorded');
  assert.equal(event.detail?.sha256, b.payload.sha256);
  assert.notEqual(event.detail?.actual, b.payload.sha256);

  // The tampered file was discarded: the next worker loads the deployed bytes again from the store.
  const after = await invoke('/fn/tamper-fn/');
  assert.equal(after.text, 'genuine');
  assert.notEqual(await readFile(file, 'utf8'), 'export const handler = async () => ({ statusCode: 200, body: "tampered code ran" });\n');
});

test('the CLI: sign keygen (0600 key file), publishers add|list|revoke, deploy --sign', async () => {
  const env = { BULWARK_URL: tp.url, BULWARK_API_KEY: tp.adminKey, BULWARK_HOME: tp.home };
  const dir = await writeFunction(source('cli-signed', 'from the cli'));
  const keyFile = join(dir, 'publisher.pem');
  const keygen = await runCli(['sign', 'keygen', '--out', keyFile], env);
  assert.equal(keygen.code, 0, keygen.stderr);
  assert.equal((await stat(keyFile)).mode & 0o777, 0o600);
  assert.doesNotMatch(keygen.stdout + keygen.stderr, /PRIVATE KEY/);
  const publicKey = keygen.stdout.trim();
  assert.equal((await runCli(['sign', 'keygen', '--out', keyFile], env)).code, 1, 'an existing key file is never overwritten');

  const unsigned = await runCli(['deploy', dir], env);
  assert.equal(unsigned.code, 1);
  assert.match(unsigned.stderr, /BWK_E_SIGNING_UNSIGNED/);

  const add = await runCli(['publishers', 'add', '--name', 'cli', '--public-key', publicKey], env);
  assert.equal(add.code, 0, add.stderr);
  const keyId = add.stdout.trim();
  assert.match(keyId, /^pub_[0-9a-f]{24}$/);
  const list = await runCli(['publishers', 'list'], env);
  assert.match(list.stdout, new RegExp(`${keyId}\\s+cli\\s`));

  const signed = await runCli(['deploy', dir, '--sign', keyFile], env);
  assert.equal(signed.code, 0, signed.stderr);
  assert.match(signed.stdout, /^cli-signed@1/);
  assert.equal((await invoke('/fn/cli-signed/')).text, 'from the cli');

  assert.equal((await runCli(['publishers', 'revoke', keyId], env)).code, 0);
  await writeFile(join(dir, 'index.mjs'), 'export const handler = async () => ({ statusCode: 200, body: "v2" });\n');
  const afterRevoke = await runCli(['deploy', dir, '--sign', keyFile], env);
  assert.equal(afterRevoke.code, 1);
  assert.match(afterRevoke.stderr, /BWK_E_SIGNING_KEY_REVOKED/);
});

test('rollback verifies the signature stored with the target version against the keys of now', async () => {
  const contractor = generatePublisherKey();
  // Deployed while the platform only warns: v1 unsigned, v2 and v4 signed by `publisher`, v3 by `contractor`.
  const warned = await startTestPlatform({ overrides: { signing: 'warn' } });
  let enforced: TestPlatform | undefined;
  try {
    for (const [name, publicKey] of [['ci', publisher.publicKey], ['contractor', contractor.publicKey]]) {
      const added = await warned.request('POST', '/admin/v1/publishers', { key: warned.adminKey, body: { name, publicKey } });
      assert.equal(added.status, 201, added.text);
    }
    const signers = [undefined, publisher.privateKeyPem, contractor.privateKeyPem, publisher.privateKeyPem];
    for (const [i, pem] of signers.entries()) {
      const b = await build(source('rollback-fn', `v${i + 1}`));
      const answer = await warned.request('POST', '/admin/v1/functions', { key: warned.adminKey, body: { ...b.payload, ...(pem ? { signature: signatureBy(pem, b) } : {}) } });
      assert.equal(answer.status, 201, answer.text);
      assert.equal(answer.json.version, i + 1);
    }
    const listed = await warned.request('GET', '/admin/v1/functions/rollback-fn', { key: warned.adminKey });
    assert.deepEqual(listed.json.versions.map((v: { signedBy: string | null }) => v.signedBy), [null, publisher.keyId, contractor.keyId, publisher.keyId]);
    assert.equal(listed.json.function.signedBy, publisher.keyId);

    // warn: a rollback to the unsigned version is accepted, with a warning event and log line.
    const warnedBack = await warned.request('POST', '/admin/v1/functions/rollback-fn/rollback', { key: warned.adminKey, body: { version: 1 } });
    assert.equal(warnedBack.status, 200, warnedBack.text);
    const warning = await warned.expectEvent('rollback.signature-checked', warnedBack.requestId);
    assert.deepEqual({ ...warning.detail, version: warning.version }, { mode: 'warn', verdict: 'unsigned', keyId: null, accepted: true, sha256: warnedBack.json.sha256, version: 1 });
    await warned.expectLog(['rollback accepted without a valid signature (signing: warn)']);
    const forward = await warned.request('POST', '/admin/v1/functions/rollback-fn/rollback', { key: warned.adminKey, body: { version: 4 } });
    assert.equal(forward.status, 200, forward.text);
    await warned.platform.close();

    // The same home restarted with `signing: enforce`, then the contractor's key is revoked.
    enforced = await startTestPlatform({ home: warned.home, overrides: { signing: 'enforce' } });
    const e = enforced;
    const revoked = await e.request('DELETE', `/admin/v1/publishers/${contractor.keyId}`, { key: e.adminKey });
    assert.equal(revoked.status, 200, revoked.text);
    const rollback = (version: number) => e.request('POST', '/admin/v1/functions/rollback-fn/rollback', { key: e.adminKey, body: { version } });
    const refusedBy = async (version: number, code: string, verdict: string, keyId: string | null) => {
      const answer = await rollback(version);
      assertError(answer, 422, code, e.secrets);
      const checked = await e.expectEvent('rollback.signature-checked', answer.requestId);
      assert.equal(checked.version, version);
      assert.deepEqual([checked.detail?.verdict, checked.detail?.keyId, checked.detail?.accepted], [verdict, keyId, false]);
      assert.ok(!e.events.some((ev) => ev.type === 'function.rolled-back' && ev.requestId === answer.requestId));
      assert.deepEqual(await e.versions('rollback-fn'), { active: 4, versions: [1, 2, 3, 4] }, 'v4 stays active');
      assert.equal((await e.request('GET', '/fn/rollback-fn/', { key: e.adminKey })).text, 'v4');
    };
    await refusedBy(1, 'BWK_E_SIGNING_UNSIGNED', 'unsigned', null);
    await refusedBy(3, 'BWK_E_SIGNING_KEY_REVOKED', 'revoked-key', contractor.keyId);

    const back = await rollback(2);
    assert.equal(back.status, 200, back.text);
    assert.equal(back.json.version, 2);
    const checked = await e.expectEvent('rollback.signature-checked', back.requestId);
    assert.deepEqual([checked.detail?.verdict, checked.detail?.keyId, checked.detail?.accepted], ['signed', publisher.keyId, true]);
    await e.expectEvent('function.rolled-back', back.requestId);
    assert.equal((await e.request('GET', '/fn/rollback-fn/', { key: e.adminKey })).text, 'v2');
  } finally {
    await enforced?.close();
    await warned.close();
  }
});
