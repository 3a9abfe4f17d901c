// The deploy service against the real parts: SQLite store, in-process bus, process sandbox (real
// `node --permission` workers), bundles built by bundleFunction from real function directories.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { defaultConfig } from '../config.ts';
import { BulwarkError } from '../errors.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { createProcessSandbox } from '../runtime/sandbox/process/index.ts';
import type { FunctionVersion } from '../store/store.ts';
import { createLogger } from '../telemetry/logger.ts';
import { loadManifest } from '../manifest/load.ts';
import { bundleFunction } from './bundle.ts';
import { deployFunction, removeFunction, rollbackFunction, type DeployDeps, type DeployPayload } from './deploy.ts';
import { createScanGate } from '../scanner/gate/server.ts';
import { generatePublisherKey, readPrivateKey, signDeploy } from '../signing/signature.ts';

let root: string;
let deps: DeployDeps;
const events: SecurityEvent[] = [];

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'bwk-deploy-'));
  const config = defaultConfig(join(root, 'home'));
  config.isolation = 'permission-only';
  config.logLevel = 'silent';
  const store = await openSqliteStore(config.home);
  const bus = createInProcessBus();
  bus.subscribe('security', (e) => void events.push(e));
  const logger = createLogger({ level: 'silent' });
  const sandbox = await createProcessSandbox({ config, logger, bus, logs: store.logs, bundleSource: (sha) => store.functions.getBundle(sha) });
  deps = { store, sandbox, bus, logger, signing: 'off' };
});

after(async () => {
  await deps.sandbox.close();
  await deps.bus.close();
  await deps.store.close();
  await rm(root, { recursive: true, force: true });
});

const MANIFEST = (name: string, extra = '') => `name: ${name}
handler: index.ts
owner: team@example.com
expires: 2099-12-31
triggers:
  - http: { method: POST, path: / }
${extra}`;

/** Writes a function directory and returns the payload the CLI would send for it. */
async function payloadFor(name: string, code: string, opts: { manifest?: string; files?: Record<string, string> } = {}): Promise<DeployPayload> {
  const dir = join(root, 'src', `${name}-${Math.random().toString(36).slice(2)}`);
  const files = { 'bulwark.yaml': opts.manifest ?? MANIFEST(name), 'index.ts': code, ...opts.files };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  const loaded = await loadManifest(dir);
  const bundled = await bundleFunction(dir, loaded.manifest);
  return { manifest: loaded.source, files: loaded.files, bundle: bundled.code, sha256: bundled.sha256 };
}

const handlerReturning = (body: string) => `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(body)} });\n`;

async function invoke(v: FunctionVersion): Promise<string> {
  const result = await deps.sandbox.invoke(
    { name: v.name, version: v.version, sha256: v.sha256, manifest: v.manifest },
    { requestId: `req-${Math.random()}`, actor: 'test', event: { version: '2.0', rawPath: '/', headers: {}, requestContext: { http: { method: 'POST', path: '/' } }, isBase64Encoded: false } },
  );
  return result.body;
}

async function invokeActive(name: string): Promise<string> {
  const active = await deps.store.functions.getActive(name);
  assert.ok(active, `${name} has an active version`);
  return invoke(active);
}

const rejectsWith = (code: string, fragment?: RegExp) => (err: unknown) => {
  assert.ok(err instanceof BulwarkError, String(err));
  assert.equal(err.code, code, err.message);
  if (fragment) assert.match(err.message, fragment);
  return true;
};

const lastEvent = () => events.at(-1)!;

test('deploy: a new function is loaded in a sandbox, stored as version 1, active, and announced', async () => {
  const p = await payloadFor('hello', handlerReturning('v1'));
  const { version, unchanged } = await deployFunction(deps, p, 'key_deployer', 'req-1');
  assert.equal(unchanged, false);
  assert.equal(version.version, 1);
  assert.equal(version.sha256, p.sha256);
  assert.equal(version.deployedBy, 'key_deployer');
  assert.equal(version.manifestSource, p.manifest);
  assert.equal(await invokeActive('hello'), 'v1');
  assert.deepEqual({ ...lastEvent(), at: undefined }, {
    type: 'deploy.succeeded', at: undefined, requestId: 'req-1', actor: 'key_deployer', function: 'hello', version: 1,
    detail: { sha256: p.sha256, sizeBytes: p.bundle.byteLength, previousVersion: null, unchanged: false },
  });
});

test('deploy: the same bundle and manifest again is unchanged and writes nothing', async () => {
  const p = await payloadFor('same', handlerReturning('same'));
  const first = await deployFunction(deps, p, 'key_deployer', 'req-a');
  const again = await deployFunction(deps, { ...p, bundle: new Uint8Array(p.bundle) }, 'key_deployer', 'req-b');
  assert.equal(again.unchanged, true);
  assert.deepEqual(again.version, first.version);
  assert.equal((await deps.store.functions.listVersions('same')).length, 1);
  assert.equal(lastEvent().detail?.unchanged, true);
  // A changed manifest with the same code is a new version.
  const changed = await payloadFor('same', handlerReturning('same'), { manifest: MANIFEST('same', 'limits: { timeout: 5s }\n') });
  assert.equal(changed.sha256, p.sha256);
  const v2 = await deployFunction(deps, changed, 'key_deployer', 'req-c');
  assert.deepEqual([v2.unchanged, v2.version.version, v2.version.manifest.limits.timeoutMs], [false, 2, 5000]);
});

test('deploy: a verified signature is stored with the version; a signed redeploy of code stored unsigned is a new version', async () => {
  const publisher = generatePublisherKey();
  await deps.store.publishers.insert({ id: publisher.keyId, name: 'ci', publicKey: publisher.publicKey, createdAt: new Date().toISOString(), revokedAt: null });
  const warn: DeployDeps = { ...deps, signing: 'warn' };
  const schema = '{"type":"object"}\n';
  const p = await payloadFor('kept', handlerReturning('kept'), { manifest: MANIFEST('kept', 'input: ./schema.json\n'), files: { 'schema.json': schema } });
  assert.deepEqual(Object.values(p.files), [schema]);
  const signature = signDeploy(readPrivateKey(publisher.privateKeyPem, 'key.pem'), { name: 'kept', sha256: p.sha256, manifestSource: p.manifest, files: p.files });

  const unsigned = await deployFunction(warn, p, 'key_deployer', 'req-s1');
  assert.equal(await deps.store.functions.getSignature('kept', unsigned.version.version), undefined);
  const signed = await deployFunction(warn, { ...p, signature }, 'key_deployer', 'req-s2');
  assert.deepEqual([signed.unchanged, signed.version.version], [false, 2]);
  const stored = await deps.store.functions.getSignature('kept', 2);
  assert.deepEqual([stored?.keyId, stored?.signature, stored?.files], [signature.keyId, signature.signature, p.files]);
  const again = await deployFunction(warn, { ...p, signature }, 'key_deployer', 'req-s3');
  assert.deepEqual([again.unchanged, again.version.version], [true, 2]);
  // Under `off` nothing is checked, so nothing is stored as verified.
  const off = await deployFunction(deps, { ...(await payloadFor('kept', handlerReturning('off'))), signature }, 'key_deployer', 'req-s4');
  assert.equal(await deps.store.functions.getSignature('kept', off.version.version), undefined);
});

test('deploy: a bundle that throws while loading is rejected and the previous version keeps serving', async () => {
  await deployFunction(deps, await payloadFor('steady', handlerReturning('good')), 'key_deployer', 'req-1');
  const broken = await payloadFor('steady', "throw new Error('boom while loading at /srv/secret/path/x.js');\nexport const handler = () => 1;\n");
  await assert.rejects(deployFunction(deps, broken, 'key_deployer', 'req-2'), rejectsWith('BWK_E_DEPLOY_REJECTED', /does not load in a sandbox/));
  assert.equal(lastEvent().type, 'deploy.rejected');
  assert.equal(lastEvent().detail?.code, 'BWK_E_DEPLOY_REJECTED');
  assert.doesNotMatch(String(lastEvent().detail?.reason), /\/srv\/secret/);
  assert.deepEqual((await deps.store.functions.listVersions('steady')).map((v) => v.version), [1]);
  assert.equal(await invokeActive('steady'), 'good');

  const noExport = await payloadFor('steady', 'export const notTheHandler = () => 1;\n');
  await assert.rejects(deployFunction(deps, noExport, 'key_deployer', 'req-3'), rejectsWith('BWK_E_DEPLOY_REJECTED'));
  assert.equal(await invokeActive('steady'), 'good');
});

test('deploy: the digest is verified on the server', async () => {
  const p = await payloadFor('digest', handlerReturning('x'));
  const tampered = new Uint8Array(p.bundle);
  tampered[tampered.length - 2] ^= 1;
  await assert.rejects(deployFunction(deps, { ...p, bundle: tampered }, 'key_deployer', 'req'), rejectsWith('BWK_E_DEPLOY_DIGEST_MISMATCH'));
  await assert.rejects(deployFunction(deps, { ...p, sha256: 'f'.repeat(64) }, 'key_deployer', 'req'), rejectsWith('BWK_E_DEPLOY_DIGEST_MISMATCH'));
  assert.equal(await deps.store.functions.getActive('digest'), undefined);
  assert.deepEqual({ type: lastEvent().type, fn: lastEvent().function, code: lastEvent().detail?.code }, { type: 'deploy.rejected', fn: 'digest', code: 'BWK_E_DEPLOY_DIGEST_MISMATCH' });
});

test('deploy: the manifest is re-validated on the server from the payload alone', async () => {
  const p = await payloadFor('checked', handlerReturning('x'));
  await assert.rejects(
    deployFunction(deps, { ...p, manifest: p.manifest.replace('owner: team@example.com', 'owner: nobody') }, 'key_deployer', 'req'),
    rejectsWith('BWK_E_MANIFEST_INVALID', /bulwark\.yaml:3:8: owner must be an email address/),
  );
  // An input schema the client did not send cannot be read from anywhere else.
  const withInput = await payloadFor('checked', handlerReturning('x'), {
    manifest: MANIFEST('checked', 'input: schemas/in.json\n'), files: { 'schemas/in.json': '{ "type": "object" }' },
  });
  assert.deepEqual(withInput.files, { 'schemas/in.json': '{ "type": "object" }' });
  await assert.rejects(deployFunction(deps, { ...withInput, files: {} }, 'key_deployer', 'req'), rejectsWith('BWK_E_MANIFEST_INVALID', /schemas\/in.json' was not found/));
  await assert.rejects(deployFunction(deps, { ...withInput, files: { 'schemas/in.json': '{ "type": "objekt" }' } }, 'key_deployer', 'req'), rejectsWith('BWK_E_MANIFEST_INVALID'));
  const ok = await deployFunction(deps, withInput, 'key_deployer', 'req');
  assert.deepEqual(ok.version.manifest.input, { body: { type: 'object' } });
});

test('deploy: expires in the past is rejected', async () => {
  const p = await payloadFor('old', handlerReturning('x'), { manifest: MANIFEST('old').replace('2099-12-31', '2020-01-01') });
  await assert.rejects(deployFunction(deps, p, 'key_deployer', 'req'), rejectsWith('BWK_E_DEPLOY_REJECTED', /expires 2020-01-01 is in the past/));
  assert.equal(await deps.store.functions.getActive('old'), undefined);
});

test('deploy: a scan record the store cannot write does not turn an activated version into a rejected deploy', async () => {
  const scanGate = await createScanGate('high');
  const failingScans = { ...deps.store.scans, record: async () => { throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite']); } };
  const p = await payloadFor('scanned', handlerReturning('live'));
  const { version } = await deployFunction({ ...deps, store: { ...deps.store, scans: failingScans }, scanGate }, p, 'key_deployer', 'req-scan');
  assert.equal(await invokeActive('scanned'), 'live');
  const mine = events.filter((e) => e.requestId === 'req-scan').map((e) => e.type);
  assert.deepEqual(mine, ['scan.completed', 'deploy.succeeded']);
  assert.equal(version.version, 1);
});

test('rollback: defaults to the version before the active one, accepts an explicit one, refuses unknown ones', async () => {
  for (const body of ['r1', 'r2', 'r3']) await deployFunction(deps, await payloadFor('roll', handlerReturning(body)), 'key_deployer', 'req');
  const back = await rollbackFunction(deps, 'roll', undefined, 'key_admin', 'req-rb');
  assert.equal(back.version, 2);
  assert.equal(await invokeActive('roll'), 'r2');
  assert.deepEqual([lastEvent().type, lastEvent().version, lastEvent().detail?.from], ['function.rolled-back', 2, 3]);
  assert.equal((await rollbackFunction(deps, 'roll', 3, 'key_admin', 'req')).version, 3);
  assert.equal(await invokeActive('roll'), 'r3');
  assert.equal((await rollbackFunction(deps, 'roll', 1, 'key_admin', 'req')).version, 1);
  assert.equal(await invokeActive('roll'), 'r1');
  await assert.rejects(rollbackFunction(deps, 'roll', undefined, 'key_admin', 'req'), rejectsWith('BWK_E_REGISTRY_VERSION_NOT_FOUND', /no version before 1/));
  await assert.rejects(rollbackFunction(deps, 'roll', 9, 'key_admin', 'req'), rejectsWith('BWK_E_REGISTRY_VERSION_NOT_FOUND'));
  await assert.rejects(rollbackFunction(deps, 'nope', undefined, 'key_admin', 'req'), rejectsWith('BWK_E_REGISTRY_FUNCTION_NOT_FOUND'));
});

test('remove: the function is gone from the store and its event is published', async () => {
  await deployFunction(deps, await payloadFor('gone', handlerReturning('bye')), 'key_deployer', 'req');
  assert.equal(await invokeActive('gone'), 'bye');
  await removeFunction(deps, 'gone', 'key_admin', 'req-rm');
  assert.equal(await deps.store.functions.getActive('gone'), undefined);
  // Removal is offboarding (src/lifecycle/offboard.ts): function.removed, then the account of it.
  const removed = events.find((e) => e.type === 'function.removed')!;
  assert.deepEqual([removed.function, removed.detail?.lastVersion], ['gone', 1]);
  assert.deepEqual([lastEvent().type, lastEvent().function, lastEvent().detail?.mode], ['function.offboarded', 'gone', 'remove']);
  await assert.rejects(removeFunction(deps, 'gone', 'key_admin', 'req'), rejectsWith('BWK_E_REGISTRY_FUNCTION_NOT_FOUND'));
});
