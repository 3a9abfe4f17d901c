// context.kv over the real platform: real functions in real sandboxes, calling the broker through the
// real gateway. Grants are per namespace (read or read-write); every refusal reaches the function as
// an error and is recorded as a capability.denied security event, and nothing refused is read or
// written — checked against what a granted function sees afterwards.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { manifest, startTestPlatform, type TestPlatform } from '../support/platform.ts';

// Runs the kv operations in the request body, in order, and answers with each outcome.
const runner = `
export const handler = async (event, context) => {
  const ops = JSON.parse(event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString() : event.body);
  const out = [];
  for (const o of ops) {
    try {
      let v;
      if (o.op === 'get') v = await context.kv.get(o.ns, o.key);
      else if (o.op === 'put') v = await context.kv.put(o.ns, o.key, o.value);
      else if (o.op === 'delete') v = await context.kv.delete(o.ns, o.key);
      else v = await context.kv.list(o.ns, o.options);
      out.push({ ok: v === undefined ? null : v });
    } catch (err) {
      out.push({ code: err.code, message: err.message });
    }
  }
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify(out) };
};
`;

type Op = { op: 'get' | 'put' | 'delete' | 'list'; ns: string; key?: string; value?: unknown; options?: unknown };

async function deployRunner(p: TestPlatform, name: string, grants: string[]): Promise<void> {
  // The adversary here is the function's own code, steered by the test through the body: path-like
  // keys in that body are what the injection guard exists to stop, so it only records them here.
  const extra = ['injection: { mode: monitor }', ...(grants.length === 0 ? [] : ['permissions:', '  kv:', ...grants.map((g) => `    ${g}`)])];
  const res = await p.deployFiles({ 'bulwark.yaml': manifest(name, ['{ method: POST, path: /kv }'], extra), 'index.mjs': runner });
  assert.equal(res.status, 201, res.text);
}

async function run(p: TestPlatform, name: string, ops: Op[]): Promise<{ requestId: string; results: unknown[] }> {
  const res = await p.request('POST', `/fn/${name}/kv`, { key: p.adminKey, body: ops });
  assert.equal(res.status, 200, res.text);
  return { requestId: res.requestId, results: res.json };
}

const denied = (op: string, ns: string) => ({ code: 'BWK_E_BROKER_CAPABILITY_DENIED', message: `Capability kv: ${op} on namespace ${ns} is not granted` });

async function deniedTargets(p: TestPlatform, requestId: string, count: number): Promise<unknown[]> {
  await p.expectEvent('capability.denied', requestId);
  const of = () => p.events.filter((e) => e.type === 'capability.denied' && e.requestId === requestId);
  for (let i = 0; i < 200 && of().length < count; i++) await new Promise((r) => setTimeout(r, 25));
  return of().map((e) => [e.function, e.detail]);
}

test('kv grants: read-write persists across invocations, read cannot write, no grant cannot touch; refusals are recorded', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await deployRunner(p, 'orders-writer', ['orders: read-write']);
  await deployRunner(p, 'orders-reader', ['orders: read']);
  await deployRunner(p, 'no-grant', []);

  const order = { id: 'o-1', total: 12.5, items: ['a', 'b'], note: null };
  const first = await run(p, 'orders-writer', [
    { op: 'put', ns: 'orders', key: 'o-1', value: order },
    { op: 'put', ns: 'orders', key: 'o-2', value: 'second' },
  ]);
  assert.deepEqual(first.results, [{ ok: null }, { ok: null }]);
  const used = await p.expectEvent('capability.used', first.requestId);
  assert.deepEqual([used.function, used.detail], ['orders-writer', { capability: 'kv', target: 'orders' }]);

  // A new invocation (and whatever worker serves it) reads back what the first one wrote.
  const second = await run(p, 'orders-writer', [
    { op: 'get', ns: 'orders', key: 'o-1' },
    { op: 'list', ns: 'orders', options: { prefix: 'o-' } },
    { op: 'get', ns: 'orders', key: 'missing' },
    { op: 'delete', ns: 'orders', key: 'o-2' },
    { op: 'list', ns: 'orders' },
  ]);
  assert.deepEqual(second.results, [{ ok: order }, { ok: ['o-1', 'o-2'] }, { ok: null }, { ok: true }, { ok: ['o-1'] }]);

  const reader = await run(p, 'orders-reader', [
    { op: 'get', ns: 'orders', key: 'o-1' },
    { op: 'list', ns: 'orders' },
    { op: 'put', ns: 'orders', key: 'o-1', value: { total: 0 } },
    { op: 'delete', ns: 'orders', key: 'o-1' },
  ]);
  assert.deepEqual(reader.results, [{ ok: order }, { ok: ['o-1'] }, denied('put', 'orders'), denied('delete', 'orders')]);
  assert.deepEqual(await deniedTargets(p, reader.requestId, 2), [
    ['orders-reader', { capability: 'kv', target: 'orders' }], ['orders-reader', { capability: 'kv', target: 'orders' }],
  ]);

  const none = await run(p, 'no-grant', [
    { op: 'get', ns: 'orders', key: 'o-1' },
    { op: 'list', ns: 'orders' },
    { op: 'put', ns: 'orders', key: 'o-1', value: 'stolen' },
  ]);
  assert.deepEqual(none.results, [denied('get', 'orders'), denied('list', 'orders'), denied('put', 'orders')]);
  assert.equal((await deniedTargets(p, none.requestId, 3)).length, 3);
  assert.equal(JSON.stringify(none.results).includes('12.5'), false, 'nothing of the entry reached the ungranted function');

  // Neither refused write changed anything.
  const after = await run(p, 'orders-writer', [{ op: 'get', ns: 'orders', key: 'o-1' }, { op: 'list', ns: 'orders' }]);
  assert.deepEqual(after.results, [{ ok: order }, { ok: ['o-1'] }]);
  const entry = await p.platform.store.kv.get('orders', 'o-1');
  assert.equal(entry?.updatedBy, 'orders-writer');

  // Bounds reach the function as errors with their codes.
  const bounds = await run(p, 'orders-writer', [
    { op: 'put', ns: 'orders', key: 'big', value: 'x'.repeat(70 * 1024) },
    { op: 'put', ns: 'orders', key: 'k'.repeat(513), value: 1 },
    { op: 'put', ns: 'orders', key: 'fn', value: undefined },
  ]);
  assert.deepEqual((bounds.results as Array<{ code?: string }>).map((r) => r.code), ['BWK_E_KV_VALUE_TOO_LARGE', 'BWK_E_KV_KEY_INVALID', undefined]);
  assert.match((bounds.results[2] as { message: string }).message, /not JSON-serialisable/);
});

test('kv namespaces are isolated: a function granted `a` cannot reach `b` through key or namespace tricks', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  await deployRunner(p, 'owner-b', ['b: read-write']);
  await deployRunner(p, 'tenant-a', ['a: read-write']);
  const seeded = await run(p, 'owner-b', [{ op: 'put', ns: 'b', key: 'secret', value: 'b-only-value' }]);
  assert.deepEqual(seeded.results, [{ ok: null }]);

  // Keys are opaque strings inside `a`: path-like keys are stored in `a`, never resolved into `b`.
  const keys = await run(p, 'tenant-a', [
    { op: 'get', ns: 'a', key: '../b/secret' },
    { op: 'get', ns: 'a', key: 'b/secret' },
    { op: 'put', ns: 'a', key: '../b/secret', value: 'written-by-a' },
    { op: 'list', ns: 'a' },
  ]);
  assert.deepEqual(keys.results, [{ ok: null }, { ok: null }, { ok: null }, { ok: ['../b/secret'] }]);

  const oddNamespaces = ['b', 'a/../b', '../b', 'a/b', 'a b', 'A', 'a\u0000', 'a\nb', '__proto__', 'constructor', 'toString', 'a.b', 'a%', 'a*'];
  const tricks = await run(p, 'tenant-a', oddNamespaces.map((ns) => ({ op: 'get' as const, ns, key: 'secret' })));
  const results = tricks.results as Array<{ code?: string; ok?: unknown }>;
  assert.deepEqual(results.map((r) => r.code), oddNamespaces.map(() => 'BWK_E_BROKER_CAPABILITY_DENIED'), JSON.stringify(results));
  assert.equal(JSON.stringify(results).includes('b-only-value'), false);
  const targets = await deniedTargets(p, tricks.requestId, oddNamespaces.length);
  assert.deepEqual(targets, oddNamespaces.map((ns) => ['tenant-a', { capability: 'kv', target: ns }]));

  // b is exactly as its owner left it.
  const check = await run(p, 'owner-b', [{ op: 'list', ns: 'b' }, { op: 'get', ns: 'b', key: 'secret' }]);
  assert.deepEqual(check.results, [{ ok: ['secret'] }, { ok: 'b-only-value' }]);
});
