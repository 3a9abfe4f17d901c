// Function lifecycle over the real platform (real gateway, store, sandboxes, HTTP and CLI): the expiry
// sweep offboards an expired function (disabled for every source, its own key revoked, a shared key
// narrowed, its unshared secret deleted, kv kept, all recorded); `bulwark rm` offboards likewise, kv
// kept by default and purged with --purge-kv; disable/enable and `expires: never`; the inventory's
// flags. Time is moved through the platform's lifecycle clock (StartOptions.now), nothing else.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rm } from 'node:fs/promises';
import { runCli, startTestPlatform, until, writeFunction, type TestPlatform } from '../support/platform.ts';
import type { InventoryEntry } from '../../src/lifecycle/inventory.ts';

const DAY = 86_400_000;

/** A manifest with explicit expiry lines (the shared helper always writes 2099-12-31). */
function manifestOf(name: string, expires: string[], lines: string[]): string {
  return [`name: ${name}`, 'handler: index.mjs#handler', 'owner: team@example.com', ...expires, 'triggers:', `  - http: { method: POST, path: / }`, ...lines].join('\n') + '\n';
}

// Reads its secrets and writes one kv entry; answers with what it could do.
const worker = (secrets: string[], ns: string | undefined) => `
export const handler = async (event, context) => {
  const out = {};
  for (const s of ${JSON.stringify(secrets)}) out[s] = (await context.secrets.get(s)) ? 'read' : 'missing';
  ${ns ? `await context.kv.put('${ns}', 'k-' + context.requestId, { at: Date.now() });` : ''}
  return { statusCode: 200, body: JSON.stringify(out) };
};
`;

// Calls billing and answers with the refusal it got.
const caller = `
export const handler = async (event, context) => {
  try { await context.invoke('billing', {}); return { statusCode: 200, body: '"called"' }; }
  catch (err) { return { statusCode: 200, body: JSON.stringify({ code: err.code }) }; }
};
`;

async function deploy(p: TestPlatform, files: Record<string, string>): Promise<void> {
  const answer = await p.deployFiles(files);
  assert.equal(answer.status, 201, answer.text);
}

async function setSecret(p: TestPlatform, name: string): Promise<void> {
  assert.equal((await p.request('PUT', `/admin/v1/secrets/${name}`, { key: p.adminKey, body: { value: `value-of-${name}-${Math.random()}` } })).status, 201);
}

async function inventory(p: TestPlatform, key = p.adminKey): Promise<Map<string, InventoryEntry>> {
  const answer = await p.request('GET', '/admin/v1/inventory', { key });
  assert.equal(answer.status, 200, answer.text);
  return new Map((answer.json.functions as InventoryEntry[]).map((e) => [e.name, e]));
}

async function keyRecord(p: TestPlatform, id: string): Promise<{ revokedAt: string | null; functions: string[] }> {
  const answer = await p.request('GET', '/admin/v1/keys', { key: p.adminKey });
  assert.equal(answer.status, 200, answer.text);
  const found = (answer.json.keys as Array<{ id: string; revokedAt: string | null; functions: string[] }>).find((k) => k.id === id);
  assert.ok(found, `key ${id} is listed`);
  return found;
}

test('the expiry sweep offboards an expired function: refused from every source, its key revoked, its unshared secret deleted, kv kept, all recorded', async (t) => {
  let clock = new Date();
  const p = await startTestPlatform({ now: () => clock });
  t.after(() => p.close());
  await setSecret(p, 'BILLING_ONLY');
  await setSecret(p, 'SHARED_TOKEN');
  await deploy(p, {
    'bulwark.yaml': manifestOf('billing', ['expires: 2099-12-31'], [
      '  - queue: { subject: billing.events }',
      'permissions:', '  secrets: [BILLING_ONLY, SHARED_TOKEN]', '  kv: { ledger: read-write }',
    ]),
    'index.mjs': worker(['BILLING_ONLY', 'SHARED_TOKEN'], 'ledger'),
  });
  await deploy(p, {
    'bulwark.yaml': manifestOf('other', ['expires: 2100-12-31'], ['permissions:', '  secrets: [SHARED_TOKEN]', '  invoke: [billing]']),
    'index.mjs': caller,
  });
  const own = await p.createKey({ role: 'invoker', functions: ['billing'] });
  const both = await p.createKey({ role: 'invoker', functions: ['billing', 'other'] });

  const before = await p.request('POST', '/fn/billing/', { key: own.key, body: {} });
  assert.equal(before.status, 200, before.text);
  assert.deepEqual(before.json, { BILLING_ONLY: 'read', SHARED_TOKEN: 'read' });
  assert.equal((await p.request('POST', '/fn/other/', { key: both.key, body: {} })).json, 'called');

  // Still served on its last day, as far as the sweep is concerned; offboarded the day after.
  clock = new Date('2099-12-31T23:00:00Z');
  assert.deepEqual(await p.platform.expirySweep.run(), []);
  clock = new Date('2100-01-01T01:00:00Z');
  const [report, ...rest] = await p.platform.expirySweep.run();
  assert.equal(rest.length, 0);
  assert.equal(report!.name, 'billing');
  assert.deepEqual([report!.revokedKeys, report!.narrowedKeys], [[own.id], [both.id]]);
  assert.deepEqual(report!.deletedSecrets, ['BILLING_ONLY']);
  assert.deepEqual(report!.keptSecrets, [{ name: 'SHARED_TOKEN', grantedBy: ['other'] }]);
  assert.deepEqual([report!.purgedKv, report!.keptKv], [[], [{ namespace: 'ledger', grantedBy: [] }]]);
  // A second sweep has nothing left to do.
  assert.deepEqual(await p.platform.expirySweep.run(), []);

  // HTTP: refused, whatever the key.
  const refused = await p.request('POST', '/fn/billing/', { key: p.adminKey, body: {} });
  assert.equal(refused.status, 403, refused.text);
  assert.equal(refused.json.error.code, 'BWK_E_GATEWAY_FUNCTION_DISABLED');
  assert.doesNotMatch(refused.text, /expired|sweep/, 'the reason is not told to callers');
  // Its own key is revoked: 401 wherever it is used.
  assert.equal((await p.request('GET', '/admin/v1/functions', { key: own.key })).status, 401);
  assert.notEqual((await keyRecord(p, own.id)).revokedAt, null);
  // The shared key lost billing only.
  assert.deepEqual((await keyRecord(p, both.id)).functions, ['other']);
  assert.equal((await keyRecord(p, both.id)).revokedAt, null);
  // invoke: the other function's call is refused with the same code.
  const call = await p.request('POST', '/fn/other/', { key: both.key, body: {} });
  assert.equal(call.status, 200, call.text);
  assert.deepEqual(call.json, { code: 'BWK_E_GATEWAY_FUNCTION_DISABLED' });
  // queue: the message is dead-lettered with the refusal, not run.
  assert.equal((await p.publish('billing.events', { n: 1 })).status, 202);
  let letters: Awaited<ReturnType<TestPlatform['deadLetters']>> = [];
  for (let i = 0; i < 100 && letters.length === 0; i++) {
    letters = await p.deadLetters('billing');
    if (letters.length === 0) await new Promise((r) => setTimeout(r, 25));
  }
  assert.equal(letters[0]?.reason, 'BWK_E_GATEWAY_FUNCTION_DISABLED');
  // Secrets: the unshared one is gone, the shared one kept.
  assert.equal((await p.request('GET', '/admin/v1/secrets/BILLING_ONLY', { key: p.adminKey })).status, 404);
  assert.equal((await p.request('GET', '/admin/v1/secrets/SHARED_TOKEN', { key: p.adminKey })).status, 200);
  // kv kept (the default).
  // Two entries: billing's own invocation and the call from other, both before the sweep.
  assert.equal((await p.platform.store.kv.list('ledger', { prefix: '', limit: 10 })).length, 2);

  const disabled = p.events.find((e) => e.type === 'function.disabled' && e.function === 'billing');
  assert.equal(disabled?.actor, 'lifecycle-sweep');
  assert.ok(p.events.some((e) => e.type === 'key.revoked' && e.detail?.keyId === own.id));
  assert.ok(p.events.some((e) => e.type === 'secret.changed' && e.detail?.name === 'BILLING_ONLY' && e.detail?.change === 'remove'));
  const offboarded = p.events.find((e) => e.type === 'function.offboarded' && e.function === 'billing');
  assert.deepEqual(offboarded?.detail?.revokedKeys, [own.id]);
  assert.deepEqual(offboarded?.detail?.deletedSecrets, ['BILLING_ONLY']);
  assert.equal(offboarded?.detail?.mode, 'disable');
  assert.equal(offboarded?.detail?.kvPurged, false);

  // The inventory, at the moved clock: expired and disabled with the sweep's reason.
  const inv = await inventory(p);
  const billing = inv.get('billing')!;
  assert.equal(billing.state, 'disabled');
  assert.match(billing.disabled!.reason, /expires date 2099-12-31 has passed/);
  assert.ok(billing.disabled!.offboardedAt);
  assert.equal(billing.flags.expired, true);
  assert.equal(inv.get('other')!.flags.expired, false);
  // Enabling it is refused: it must be deployed with a later date first.
  const enable = await p.request('POST', '/admin/v1/functions/billing/enable', { key: p.adminKey, body: { reason: 'please' } });
  assert.equal(enable.status, 409, enable.text);
  assert.equal(enable.json.error.code, 'BWK_E_LIFECYCLE_EXPIRED');
});

test('bulwark rm offboards: keys revoked, unshared secret deleted, queue trigger stopped; kv kept by default and purged with --purge-kv', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const cli = { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
  await setSecret(p, 'CART_KEY');
  for (const name of ['cart', 'basket']) {
    await deploy(p, {
      'bulwark.yaml': manifestOf(name, ['expires: 2099-12-31'], [`  - queue: { subject: ${name}.events }`, 'permissions:', '  secrets: [CART_KEY]', `  kv: { ${name}-data: read-write }`]),
      'index.mjs': worker(['CART_KEY'], `${name}-data`),
    });
  }
  const key = await p.createKey({ role: 'invoker', functions: ['cart'] });
  assert.equal((await p.request('POST', '/fn/cart/', { key: key.key, body: {} })).status, 200);
  assert.equal((await p.request('POST', '/fn/basket/', { key: p.adminKey, body: {} })).status, 200);

  const rm = await runCli(['rm', 'cart'], cli);
  assert.equal(rm.code, 0, rm.stderr);
  assert.match(rm.stdout, new RegExp(`keys revoked: ${key.id}`));
  assert.match(rm.stdout, /kept \(granted elsewhere\): CART_KEY \(basket\)/);
  assert.equal((await p.request('POST', '/fn/cart/', { key: p.adminKey, body: {} })).status, 404);
  assert.equal((await p.request('GET', '/admin/v1/functions', { key: key.key })).status, 401);
  assert.equal((await p.platform.store.kv.list('cart-data', { prefix: '', limit: 10 })).length, 1, 'kv kept by default');
  // Its queue trigger stopped: nobody consumes the subject any more.
  const published = await p.publish('cart.events', {});
  assert.equal(published.status, 404, published.text);
  assert.equal(published.json.error.code, 'BWK_E_BUS_NO_CONSUMER');
  const offboarded = p.events.find((e) => e.type === 'function.offboarded' && e.function === 'cart');
  assert.equal(offboarded?.detail?.mode, 'remove');
  assert.ok(p.events.some((e) => e.type === 'function.removed' && e.function === 'cart'));

  // Purging kv destroys data no function owns: only an admin scoped to * may.
  const deployer = await p.createKey({ role: 'deployer', functions: ['basket'] });
  const refusedPurge = await p.request('DELETE', '/admin/v1/functions/basket?purgeKv=true', { key: deployer.key });
  assert.equal(refusedPurge.status, 403, refusedPurge.text);
  assert.ok(await p.platform.store.functions.getActive('basket'), 'a refused purge removes nothing');

  // The last function granting CART_KEY goes with its kv purged: the secret is deleted, the entries too.
  const purge = await runCli(['rm', 'basket', '--purge-kv', '--json'], cli);
  assert.equal(purge.code, 0, purge.stderr);
  const report = JSON.parse(purge.stdout).offboarding;
  assert.deepEqual([report.deletedSecrets, report.purgedKv, report.kvEntriesDeleted], [['CART_KEY'], ['basket-data'], 1]);
  assert.equal((await p.platform.store.kv.list('basket-data', { prefix: '', limit: 10 })).length, 0);
  assert.equal((await p.request('GET', '/admin/v1/secrets/CART_KEY', { key: p.adminKey })).status, 404);
  assert.equal(p.events.find((e) => e.type === 'function.offboarded' && e.function === 'basket')?.detail?.kvPurged, true);
});

test('disable/enable through the CLI; expires: never needs a reason; the inventory flags stale, unowned, expiring soon', async (t) => {
  let clock = new Date();
  const p = await startTestPlatform({ now: () => clock });
  t.after(() => p.close());
  const cli = { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
  const soon = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
  await deploy(p, { 'bulwark.yaml': manifestOf('alpha', ['expires: 2099-12-31'], []), 'index.mjs': worker([], undefined) });
  await deploy(p, { 'bulwark.yaml': manifestOf('beta', ['expires: never', 'expiresReason: the platform health probe'], []), 'index.mjs': worker([], undefined) });
  await deploy(p, { 'bulwark.yaml': manifestOf('gamma', [`expires: ${soon}`], []), 'index.mjs': worker([], undefined) });
  const owner = await p.createKey({ role: 'deployer', functions: ['alpha'] });

  const dir = await writeFunction({ 'bulwark.yaml': manifestOf('delta', ['expires: never'], []), 'index.mjs': worker([], undefined) });
  t.after(() => rm(dir, { recursive: true, force: true }));
  const never = await runCli(['deploy', dir], cli);
  assert.notEqual(never.code, 0);
  assert.match(never.stderr, /BWK_E_MANIFEST_INVALID[\s\S]*bulwark\.yaml:4:10: expires: never needs expiresReason/);

  assert.equal((await p.request('POST', '/fn/alpha/', { key: p.adminKey, body: {} })).status, 200);
  let inv = await inventory(p);
  assert.deepEqual({ ...inv.get('alpha')!.flags }, { stale: false, unowned: false, expired: false, expiringSoon: false });
  assert.deepEqual({ ...inv.get('beta')!.flags }, { stale: false, unowned: true, expired: false, expiringSoon: false });
  assert.deepEqual({ ...inv.get('gamma')!.flags }, { stale: false, unowned: true, expired: false, expiringSoon: true });
  assert.equal(inv.get('beta')!.expiresReason, 'the platform health probe');
  assert.ok(inv.get('alpha')!.lastInvokedAt, 'the invocation is recorded');
  assert.equal(inv.get('beta')!.lastInvokedAt, null);
  // Findings: what the deploy gate recorded for the active version. A raw API deploy carries no scan of
  // the deployer's, so only the gateway's manifest re-scan counts (source none).
  const recorded = await p.platform.store.scans.get('alpha', 1);
  assert.deepEqual(inv.get('alpha')!.findings, recorded
    ? { scanned: true, source: recorded.source, open: Object.values(recorded.serverCounts).reduce((n, c) => n + c, 0) }
    : { scanned: false, source: null, open: 0 });
  // A deployer's scan: its findings minus the waived ones are open.
  await p.platform.store.scans.record({
    function: 'beta', version: 1, recordedAt: new Date().toISOString(), actor: 'key:test', source: 'cli', failOn: 'high',
    counts: { high: 1, medium: 2, low: 1 }, serverCounts: {}, suppressed: 0, files: 1,
    waived: [{ ruleId: 'r', severity: 'high', file: 'index.mjs', line: 1, reason: 'accepted', expires: '2099-01-01' }],
  });
  // Incidents: the ones not resolved whose key is the function (rules grouped by function).
  const entry = { at: new Date().toISOString(), kind: 'trigger' as const, actor: 'rule:test', summary: 'test' };
  await p.platform.store.incidents.recordMatch({ id: 'inc-beta-1', rule: 'by-function', severity: 'high', key: 'beta', entry });
  await p.platform.store.incidents.recordMatch({ id: 'inc-beta-2', rule: 'other-rule', severity: 'low', key: 'beta', entry });
  await p.platform.store.incidents.transition('inc-beta-2', ['open'], 'resolved', { ...entry, kind: 'resolved' });
  await p.platform.store.incidents.recordMatch({ id: 'inc-ip', rule: 'by-address', severity: 'low', key: '127.0.0.9', entry });
  inv = await inventory(p);
  assert.deepEqual(inv.get('beta')!.findings, { scanned: true, source: 'cli', open: 3 });
  assert.deepEqual([inv.get('alpha')!.openIncidents, inv.get('beta')!.openIncidents], [0, 1]);
  // A viewer may read it, only for its scope.
  const viewer = await p.createKey({ role: 'viewer', functions: ['beta'] });
  assert.deepEqual([...(await inventory(p, viewer.key)).keys()], ['beta']);

  // 100 days on: nothing was invoked since, so all are stale; beta never expires; gamma has expired.
  clock = new Date(Date.now() + 100 * DAY);
  assert.equal((await p.request('DELETE', `/admin/v1/keys/${owner.id}`, { key: p.adminKey })).status, 200);
  inv = await inventory(p);
  assert.deepEqual({ ...inv.get('alpha')!.flags }, { stale: true, unowned: true, expired: false, expiringSoon: false });
  assert.deepEqual({ ...inv.get('beta')!.flags }, { stale: true, unowned: true, expired: false, expiringSoon: false });
  assert.equal(inv.get('gamma')!.flags.expired, true);

  const table = await runCli(['inventory'], cli);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /^NAME\s+OWNER\s+ACTIVE\/LATEST \(N\)/);
  assert.match(table.stdout, /\nbeta\s+team@example\.com\s+1\/1 \(1\)\s+.*never\s+active\s+3\s+1\s+stale,unowned/);

  const off = await runCli(['disable', 'alpha', '--reason', 'incident 42'], cli);
  assert.equal(off.code, 0, off.stderr);
  assert.match(off.stdout, /disabled alpha/);
  const refused = await p.request('POST', '/fn/alpha/', { key: p.adminKey, body: {} });
  assert.equal(refused.status, 403);
  assert.equal(refused.json.error.code, 'BWK_E_GATEWAY_FUNCTION_DISABLED');
  assert.equal((await inventory(p)).get('alpha')!.disabled!.reason, 'incident 42');
  assert.equal(p.events.find((e) => e.type === 'function.disabled' && e.function === 'alpha')?.detail?.reason, 'incident 42');
  const noReason = await runCli(['disable', 'alpha'], cli);
  assert.notEqual(noReason.code, 0);

  // schedule: a disabled function's runs are skipped with the refusal, not run.
  await deploy(p, { 'bulwark.yaml': manifestOf('ticker', ['expires: 2099-12-31'], ['  - schedule: { cron: "* * * * * *" }']), 'index.mjs': worker([], undefined) });
  assert.equal((await p.request('POST', '/admin/v1/functions/ticker/disable', { key: p.adminKey, body: { reason: 'stop the ticks' } })).status, 200);
  const skipped = await until(5000, () => p.logLines().find((l) => l.includes('scheduled run skipped') && l.includes('"function":"ticker"') && l.includes('BWK_E_GATEWAY_FUNCTION_DISABLED')));
  assert.ok(skipped, 'a scheduled run of the disabled function is skipped with the refusal code');

  const on = await runCli(['enable', 'alpha', '--reason', 'incident 42 resolved'], cli);
  assert.equal(on.code, 0, on.stderr);
  assert.equal((await p.request('POST', '/fn/alpha/', { key: p.adminKey, body: {} })).status, 200);
  assert.ok(p.events.some((e) => e.type === 'function.enabled' && e.function === 'alpha'));
});
