// The admin API over real HTTP, and the platform's bootstrap credentials.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig } from '../config.ts';
import { Writable } from 'node:stream';
import { request as httpRequest } from 'node:http';
import { startPlatform } from './platform.ts';
import { errorBody, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

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
  const first = await tp.deployFiles(files('alpha', 'one'));
  assert.equal(first.status, 201);
  const body = first.json as Record<string, unknown>;
  assert.deepEqual(Object.keys(body).sort(), ['deployedAt', 'name', 'sha256', 'unchanged', 'version']);
  assert.equal(body.version, 1);
  const again = (await tp.deployFiles(files('alpha', 'one'))).json as { unchanged: boolean; version: number };
  assert.deepEqual([again.unchanged, again.version], [true, 1]);
  const second = (await tp.deployFiles(files('alpha', 'two'))).json as { version: number };
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
  await tp.deployFiles(files('gamma', 'g'));
  const scoped = await tp.createKey({ role: 'viewer', functions: ['gamma'] });
  const list = await (await tp.fetch('/admin/v1/functions', { key: scoped.key })).json() as { functions: Array<{ name: string }> };
  assert.deepEqual(list.functions.map((f) => f.name), ['gamma']);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha', { key: scoped.key })).status, 403);
  const detail = await (await tp.fetch('/admin/v1/functions/alpha', { key: tp.adminKey })).json() as { function: { name: string; activeVersion: number }; versions: Array<Record<string, unknown>> };
  assert.equal(detail.function.activeVersion, 2);
  assert.deepEqual(detail.versions.map((v) => v.version), [1, 2]);
  assert.deepEqual(Object.keys(detail.versions[0]!).sort(), ['deployedAt', 'deployedBy', 'sha256', 'signedBy', 'sizeBytes', 'version']);
  assert.equal(detail.versions[0]!.signedBy, null, 'deployed unsigned');
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
  const outsider = await tp.createKey({ role: 'deployer', functions: ['gamma'] });
  assert.equal((await tp.fetch('/admin/v1/functions/alpha/rollback', { method: 'POST', key: outsider.key, headers: json, body: '{}' })).status, 403);
  assert.equal((await tp.fetch('/admin/v1/functions/alpha', { method: 'DELETE', key: outsider.key })).status, 403);
  const rb = await tp.fetch('/admin/v1/functions/alpha/rollback', { method: 'POST', key: tp.adminKey, headers: json, body: '{}' });
  assert.equal(rb.status, 200);
  assert.deepEqual(Object.keys(await rb.json() as object).sort(), ['name', 'sha256', 'version']);
  assert.equal(await (await tp.fetch('/fn/alpha', { key: tp.adminKey })).text(), 'one');
  const del = await tp.fetch('/admin/v1/functions/alpha', { method: 'DELETE', key: tp.adminKey });
  const removed = await del.json() as { removed: boolean; offboarding: { name: string; mode: string } };
  assert.deepEqual([removed.removed, removed.offboarding.name, removed.offboarding.mode], [true, 'alpha', 'remove']);
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
  const viewer = await tp.createKey({ role: 'viewer', functions: ['*'] });
  const status = await (await tp.fetch('/admin/v1/status', { key: viewer.key })).json() as Record<string, any>;
  assert.equal(status.node, process.version);
  assert.equal(status.store, 'sqlite');
  assert.equal(typeof status.bus, 'string');
  assert.ok(Array.isArray(status.isolation.layers));
  assert.equal(typeof status.functions, 'number');
  const invoker = await tp.createKey({ role: 'invoker', functions: ['*'] });
  assert.equal((await tp.fetch('/admin/v1/status', { key: invoker.key })).status, 403);
});

test('a scoped admin cannot escalate: no admin keys, no scope beyond its own, and it sees and revokes only keys within it', async () => {
  const scopedAdmin = await tp.createKey({ role: 'admin', functions: ['probe'] });
  const post = (key: string, body: unknown) => tp.fetch('/admin/v1/keys', { method: 'POST', key, headers: json, body: JSON.stringify(body) });

  for (const body of [{ role: 'admin', functions: ['*'] }, { role: 'admin', functions: ['probe'] }, { role: 'invoker', functions: ['*'] }, { role: 'deployer', functions: ['probe', 'other'] }]) {
    const res = await post(scopedAdmin.key, body);
    assert.equal(res.status, 403, `${JSON.stringify(body)} → ${res.status}`);
    const err = await errorBody(res, [scopedAdmin.key]);
    assert.equal(err.code, 'BWK_E_GUARD_FORBIDDEN');
    const denied = tp.events.find((e) => e.type === 'authz.denied' && e.requestId === err.requestId);
    assert.equal(denied?.actor, `key:${scopedAdmin.id}`, 'the refusal is on the security stream');
  }
  const within = await post(scopedAdmin.key, { role: 'deployer', functions: ['probe'] });
  assert.equal(within.status, 201, 'a key within its own scope and below admin is fine');
  const probeKey = await within.json() as { id: string };

  const outside = await tp.createKey({ role: 'invoker', functions: ['other'] });
  const everything = await tp.createKey({ role: 'viewer', functions: ['*'] });
  const listed = (await (await tp.fetch('/admin/v1/keys', { key: scopedAdmin.key })).json() as { keys: Array<{ id: string; functions: string[] }> }).keys;
  assert.ok(listed.length >= 2);
  assert.ok(listed.every((k) => k.functions.length > 0 && k.functions.every((f) => f === 'probe')), `only keys within [probe]: ${JSON.stringify(listed)}`);
  assert.ok(listed.some((k) => k.id === probeKey.id) && listed.some((k) => k.id === scopedAdmin.id));
  const all = (await (await tp.fetch('/admin/v1/keys', { key: tp.adminKey })).json() as { keys: Array<{ id: string }> }).keys;
  assert.ok(all.some((k) => k.id === outside.id) && all.some((k) => k.id === everything.id), 'the * admin sees every key');

  for (const id of [outside.id, everything.id, tp.adminKey.split('_')[1]!]) {
    const res = await tp.fetch(`/admin/v1/keys/${id}`, { method: 'DELETE', key: scopedAdmin.key });
    assert.equal(res.status, 404, `revoking ${id} outside the scope → ${res.status}`);
    assert.equal((await errorBody(res)).code, 'BWK_E_REGISTRY_KEY_NOT_FOUND');
  }
  assert.equal((await tp.fetch('/fn/gamma', { key: tp.adminKey })).status, 200, 'the bootstrap admin key was not revoked');
  assert.deepEqual(await (await tp.fetch(`/admin/v1/keys/${probeKey.id}`, { method: 'DELETE', key: scopedAdmin.key })).json(), { revoked: true });
});

test('the role is checked before the body is read: an invoker uploading a 30 MB deploy gets 403 while still sending', async () => {
  const invoker = await tp.createKey({ role: 'invoker', functions: ['*'] });
  const total = 30 * 1024 * 1024;
  const chunk = Buffer.alloc(64 * 1024, 'a');
  const url = new URL(tp.url);
  const answer = await new Promise<{ status: number; body: string; sent: number }>((resolve, reject) => {
    let sent = 0;
    const req = httpRequest({
      host: url.hostname, port: Number(url.port), method: 'POST', path: '/admin/v1/functions',
      headers: { authorization: `Bearer ${invoker.key}`, 'content-type': 'application/json', 'content-length': String(total) },
    }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => {
        resolve({ status: res.statusCode!, body, sent });
        req.destroy();
      });
    });
    req.on('error', reject);
    const giveUp = setTimeout(() => req.destroy(new Error('no answer before the upload finished')), 10_000);
    req.on('close', () => clearTimeout(giveUp));
    // One chunk only, then nothing: the upload never finishes, so only an answer given before the
    // body is read can arrive (the gateway's request timeout is 30 s; this test gives up after 10 s).
    req.write(chunk, () => (sent += chunk.length));
  });
  assert.equal(answer.status, 403, answer.body);
  assert.ok(answer.sent < total, 'answered while the upload was unfinished');
  assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'BWK_E_GUARD_FORBIDDEN');
  const viewer = await tp.createKey({ role: 'viewer', functions: ['*'] });
  const refused = await tp.fetch('/admin/v1/keys', { method: 'POST', key: viewer.key, headers: json, body: '{not even json' });
  assert.equal(refused.status, 403, 'a viewer is refused before its (malformed) body is parsed');
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
