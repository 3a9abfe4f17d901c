// The admin API over real HTTP, and the platform's bootstrap credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { Writable } from 'node:stream';
import { startPlatform } from './platform.ts';
import { errorBody, manifest, startTestPlatform, type TestPlatform } from './testing.ts';

let tp: TestPlatform;
const json = { 'content-type': 'application/json' };
const handler = (text: string) => `export const handler = async (event, context) => { context.log.info('served', { n: 1 }); return { statusCode: 200, body: '${text}' }; };`;
const files = (name: string, text: string) => ({ 'bulwark.yaml': manifest(name, ['{ method: GET, path: / }']), 'index.mjs': handler(text) });

before(async () => {
  tp = await startTestPlatform();
});
after(() => tp.close());

test('bootstrap: credentials.json is 0600 with the URL and an admin key, and the key is never logged', async () => {
  const file = join(tp.home, 'credentials.json');
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const creds = JSON.parse(readFileSync(file, 'utf8')) as { url: string; apiKey: string };
  assert.equal(creds.url, tp.url);
  assert.match(creds.apiKey, /^bwk_/);
  assert.ok(!tp.logLines().join('\n').includes(creds.apiKey.split('_').slice(2).join('_')));
  assert.ok(tp.events.length === 0 || tp.events.every((e) => !JSON.stringify(e).includes(creds.apiKey)));
});

test('deploy → 201, redeploy of the same bundle is unchanged, a new bundle is version 2', async () => {
  const first = await tp.deploy(files('alpha', 'one'));
  assert.equal(first.status, 201);
  const body = await first.json() as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['deployedAt', 'name', 'sha256', 'unchanged', 'version']);
  assert.equal(body.version, 1);
  const again = await (await tp.deploy(files('alpha', 'one'))).json() as { unchanged: boolean; version: number };
  assert.deepEqual([again.unchanged, again.version], [true, 1]);
  const second = await (await tp.deploy(files('alpha', 'two'))).json() as { version: number };
  assert.equal(second.version, 2);
  assert.equal(await (await tp.fetch('/fn/alpha', { key: tp.adminKey })).text(), 'two');
  assert.ok(tp.events.some((e) => e.type === 'deploy.succeeded' && e.function === 'alpha' && e.version === 2));
});

test('a bad deploy body → 400: wrong digest, bad manifest with file:line:col', async () => {
  const bad = await tp.fetch('/admin/v1/functions', { method: 'POST', key: tp.adminKey, headers: json, body: JSON.stringify({ manifest: manifest('beta', ['{ method: GET, path: / }']), files: {}, bundle: Buffer.from('export const handler = 1').toString('base64'), sha256: '0'.repeat(64) }) });
  assert.equal(bad.status, 400);
  assert.equal((await errorBody(bad)).code, 'BWK_E_DEPLOY_DIGEST_MISMATCH');
  const broken = await tp.fetch('/admin/v1/functions', { method: 'POST', key: tp.adminKey, headers: json, body: JSON.stringify({ manifest: 'name: Bad Name\n', bundle: 'AA==', sha256: '0'.repeat(64) }) });
  assert.equal(broken.status, 400);
  const err = await errorBody(broken);
  assert.equal(err.code, 'BWK_E_MANIFEST_INVALID');
  assert.match(err.message, /bulwark\.yaml:\d+:\d+/);
});

test('list is filtered by scope; inspect shows versions; logs come back per request id', async () => {
  await tp.deploy(files('gamma', 'g'));
  const scoped = await tp.key('viewer', ['gamma']);
  const list = await (await tp.fetch('/admin/v1/functions', { key: scoped.key })).json() as { functions: Array<{ name: string }> };
  assert.deepEqual(list.functions.map((f) => f.name), ['gamma']);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha', { key: scoped.key })).status, 403);
  const detail = await (await tp.fetch('/admin/v1/functions/alpha', { key: tp.adminKey })).json() as { function: { name: string; activeVersion: number }; versions: Array<Record<string, unknown>> };
  assert.equal(detail.function.activeVersion, 2);
  assert.deepEqual(detail.versions.map((v) => v.version), [1, 2]);
  assert.deepEqual(Object.keys(detail.versions[0]!).sort(), ['deployedAt', 'deployedBy', 'sha256', 'sizeBytes', 'version']);
  assert.equal((await tp.fetch('/admin/v1/functions/nothing', { key: tp.adminKey })).status, 404);

  const call = await tp.fetch('/fn/gamma', { key: tp.adminKey });
  const requestId = call.headers.get('x-request-id')!;
  let logs: Array<{ requestId: string; message: string }> = [];
  for (let i = 0; i < 20 && logs.length === 0; i++) {
    logs = (await (await tp.fetch(`/admin/v1/functions/gamma/logs?limit=10&requestId=${requestId}`, { key: scoped.key })).json() as { logs: typeof logs }).logs;
    if (logs.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.equal(logs[0]?.message, 'served');
  assert.equal(logs[0]?.requestId, requestId);
  const badLimit = await tp.fetch('/admin/v1/functions/gamma/logs?limit=100000', { key: tp.adminKey });
  assert.equal(badLimit.status, 400);
});

test('rollback to the previous version, then remove; a deployer scoped elsewhere may do neither', async () => {
  const outsider = await tp.key('deployer', ['gamma']);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha/rollback', { method: 'POST', key: outsider.key, headers: json, body: '{}' })).status, 403);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha', { method: 'DELETE', key: outsider.key })).status, 403);
  const rb = await tp.fetch('/admin/v1/functions/alpha/rollback', { method: 'POST', key: tp.adminKey, headers: json, body: '{}' });
  assert.equal(rb.status, 200);
  assert.deepEqual(Object.keys(await rb.json() as object).sort(), ['name', 'sha256', 'version']);
  assert.equal(await (await tp.fetch('/fn/alpha', { key: tp.adminKey })).text(), 'one');
  const del = await tp.fetch('/admin/v1/functions/alpha', { method: 'DELETE', key: tp.adminKey });
  assert.deepEqual(await del.json(), { removed: true });
  assert.equal((await tp.fetch('/fn/alpha', { key: tp.adminKey })).status, 404);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha', { method: 'DELETE', key: tp.adminKey })).status, 404);
});

test('keys: created once with the secret, listed without it, revoked; key.created is published', async () => {
  const res = await tp.fetch('/admin/v1/keys', { method: 'POST', key: tp.adminKey, headers: json, body: JSON.stringify({ role: 'deployer', functions: ['gamma', '*'], label: 'ci', expiresInDays: 30 }) });
  assert.equal(res.status, 201);
  const created = await res.json() as { id: string; key: string; functions: string[]; expiresAt: string; role: string };
  assert.deepEqual(created.functions, ['*']);
  assert.equal(created.role, 'deployer');
  assert.ok(Date.parse(created.expiresAt) > Date.now() + 29 * 86_400_000);
  const listText = await (await tp.fetch('/admin/v1/keys', { key: tp.adminKey })).text();
  assert.ok(listText.includes(created.id));
  assert.ok(!listText.includes(created.key.split('_').slice(2).join('_')), 'no secret in the listing');
  assert.ok(!/secretHash/.test(listText), 'no hash in the listing');
  assert.ok(tp.events.some((e) => e.type === 'key.created' && e.detail?.keyId === created.id));
  assert.ok(!JSON.stringify(tp.events).includes(created.key), 'no secret in any event');
  assert.deepEqual(await (await tp.fetch(`/admin/v1/keys/${created.id}`, { method: 'DELETE', key: tp.adminKey })).json(), { revoked: true });
  assert.equal((await tp.fetch('/admin/v1/keys/AAAAAAAAAAAA', { method: 'DELETE', key: tp.adminKey })).status, 404);
});

test('status reports node, store, bus, isolation and the function count; viewers may read it, invokers not', async () => {
  const viewer = await tp.key('viewer', ['*']);
  const status = await (await tp.fetch('/admin/v1/status', { key: viewer.key })).json() as Record<string, any>;
  assert.equal(status.node, process.version);
  assert.equal(status.store, 'sqlite');
  assert.equal(typeof status.bus, 'string');
  assert.ok(Array.isArray(status.isolation.layers));
  assert.equal(typeof status.functions, 'number');
  const invoker = await tp.key('invoker', ['*']);
  assert.equal((await tp.fetch('/admin/v1/status', { key: invoker.key })).status, 403);
});

test('a restart keeps the admin key and refreshes the URL in credentials.json', async () => {
  const other = await startTestPlatform();
  try {
    const file = join(other.home, 'credentials.json');
    const before = JSON.parse(readFileSync(file, 'utf8')) as { apiKey: string; url: string };
    await other.platform.close();
    const sink = new Writable({ write(_c, _e, cb) { cb(); } });
    const again = await startPlatform(loadConfig(other.home, { listen: { host: '127.0.0.1', port: 0 } }, {}), { logDestination: sink });
    try {
      const after = JSON.parse(readFileSync(file, 'utf8')) as { apiKey: string; url: string };
      assert.equal(after.apiKey, before.apiKey);
      assert.equal(after.url, again.url);
      assert.equal(statSync(file).mode & 0o777, 0o600);
      assert.equal((await fetch(`${again.url}/admin/v1/keys`, { headers: { authorization: `Bearer ${after.apiKey}` } })).status, 200);
    } finally {
      await again.close();
    }
  } finally {
    await other.close();
  }
});
