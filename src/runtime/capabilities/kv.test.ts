import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { Writable } from 'node:stream';
import type { SecurityEvent } from '../../bus/bus.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { sampleVersion } from '../../store/store.contract.ts';
import { KV_LIMITS } from '../../store/store.ts';
import { Broker } from '../broker/broker.ts';
import { capabilityHome } from './testing.ts';
import { BulwarkError } from '../../errors.ts';
import type { InvocationContext } from './capability.ts';
import { KV_WIRE } from './kv.ts';

async function setup(t: import('node:test').TestContext) {
  const logger = createLogger({ level: 'debug', destination: new Writable({ write(_c, _e, cb) { cb(); } }) });
  const { config, store, bus } = await capabilityHome(t, 'kv', logger);
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const broker = new Broker({ config, logger, bus, logs: store.logs, kv: store.kv });
  const base = sampleVersion('shop').manifest;
  const manifest = { ...base, permissions: { ...base.permissions, kv: { orders: 'read-write' as const, catalog: 'read' as const } } };
  const inv: InvocationContext = {
    target: { name: 'shop', version: 2, sha256: 'ab'.repeat(32), manifest }, requestId: 'req-1', actor: 'key:caller', hop: 0, startedAt: Date.now(), logLines: 0, logBytes: 0,
  };
  const kv = async (args: Record<string, unknown>) => broker.call(inv, 1, 'kv', args);
  return { kv, events, store };
}

const ok = (value: unknown) => ({ t: 'cap-result', call: 1, ok: true, value });
const refused = (code: string, message: string) => ({ t: 'cap-result', call: 1, ok: false, error: { code, message } });

test('read-write allows every operation; entries are written by the function and the uses recorded per namespace', async (t) => {
  const { kv, events, store } = await setup(t);
  assert.deepEqual(await kv({ op: 'put', namespace: 'orders', key: 'o-1', value: '{"total":5}' }), ok(undefined));
  assert.deepEqual(await kv({ op: 'put', namespace: 'orders', key: 'o-2', value: '"two"' }), ok(undefined));
  assert.deepEqual(await kv({ op: 'get', namespace: 'orders', key: 'o-1' }), ok('{"total":5}'));
  assert.deepEqual(await kv({ op: 'get', namespace: 'orders', key: 'none' }), ok(undefined));
  assert.deepEqual(await kv({ op: 'list', namespace: 'orders', prefix: 'o-', limit: 10 }), ok(['o-1', 'o-2']));
  assert.deepEqual(await kv({ op: 'delete', namespace: 'orders', key: 'o-2' }), ok(true));
  assert.equal((await store.kv.get('orders', 'o-1'))?.updatedBy, 'shop');
  assert.deepEqual(events.map((e) => [e.type, e.function, e.version, e.requestId, e.actor, e.detail]),
    Array(6).fill(['capability.used', 'shop', 2, 'req-1', 'key:caller', { capability: 'kv', target: 'orders' }]));
});

test('read allows get and list only; writes, ungranted and look-alike namespaces are denied and recorded', async (t) => {
  const { kv, events, store } = await setup(t);
  await store.kv.put({ namespace: 'catalog', key: 'sku', value: '1', updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'admin' });
  await store.kv.put({ namespace: 'secret-ns', key: 'k', value: '"hidden"', updatedAt: '2026-01-01T00:00:00.000Z', updatedBy: 'admin' });
  assert.deepEqual(await kv({ op: 'get', namespace: 'catalog', key: 'sku' }), ok('1'));
  assert.deepEqual(await kv({ op: 'list', namespace: 'catalog', prefix: '', limit: 5 }), ok(['sku']));
  const denials: Array<[string, string]> = [
    ['put', 'catalog'], ['delete', 'catalog'], ['get', 'secret-ns'], ['list', 'secret-ns'],
    ['get', 'constructor'], ['get', '__proto__'], ['get', 'orders/../secret-ns'], ['get', 'Orders'], ['get', 'orders '],
  ];
  for (const [op, namespace] of denials) {
    const args = op === 'list' ? { op, namespace, prefix: '', limit: 5 } : op === 'put' ? { op, namespace, key: 'k', value: '2' } : { op, namespace, key: 'k' };
    assert.deepEqual(await kv(args), refused('BWK_E_BROKER_CAPABILITY_DENIED', `Capability kv: ${op} on namespace ${namespace} is not granted`));
  }
  assert.deepEqual(events.filter((e) => e.type === 'capability.denied').map((e) => e.detail), denials.map(([, target]) => ({ capability: 'kv', target })));
  assert.equal((await store.kv.get('catalog', 'sku'))?.value, '1');
});

test('bounds: keys, value size and JSON are checked before anything is written', async (t) => {
  const { kv, store } = await setup(t);
  assert.deepEqual(await kv({ op: 'put', namespace: 'orders', key: '', value: '1' }), refused('BWK_E_KV_KEY_INVALID', 'Key-value key is not acceptable: a key must be 1 to 512 bytes (got 0)'));
  assert.deepEqual(await kv({ op: 'get', namespace: 'orders', key: 'k'.repeat(KV_LIMITS.keyBytes + 1) }), refused('BWK_E_KV_KEY_INVALID', 'Key-value key is not acceptable: a key must be 1 to 512 bytes (got 513)'));
  assert.deepEqual(await kv({ op: 'put', namespace: 'orders', key: 'big', value: JSON.stringify('x'.repeat(KV_LIMITS.valueBytes)) }), refused('BWK_E_KV_VALUE_TOO_LARGE', 'Key-value value exceeds 65536 bytes of JSON'));
  assert.deepEqual(await kv({ op: 'put', namespace: 'orders', key: 'bad', value: '{not json' }), refused('BWK_E_KV_VALUE_INVALID', 'Key-value value is not acceptable: it is not JSON'));
  assert.deepEqual(await store.kv.list('orders', { prefix: '', limit: 10 }), []);
});

test('a malformed kv call is a protocol violation (the worker is killed)', async (t) => {
  const { kv } = await setup(t);
  const malformed = [
    undefined, null, [], {}, { op: 'get', namespace: 'orders' }, { op: 'drop', namespace: 'orders', key: 'k' },
    { op: 'get', namespace: '', key: 'k' }, { op: 'get', namespace: 'n'.repeat(KV_WIRE.namespace + 1), key: 'k' },
    { op: 'get', namespace: 'orders', key: 7 }, { op: 'put', namespace: 'orders', key: 'k' },
    { op: 'put', namespace: 'orders', key: 'k', value: 'x'.repeat(KV_WIRE.valueChars + 1) },
    { op: 'list', namespace: 'orders', prefix: '' }, { op: 'list', namespace: 'orders', prefix: '', limit: 0 }, { op: 'list', namespace: 'orders', prefix: '', limit: 1.5 },
  ];
  for (const args of malformed) {
    await assert.rejects(async () => kv(args as Record<string, unknown>), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_BROKER_PROTOCOL', JSON.stringify(args)?.slice(0, 80));
  }
});

test('the worker side refuses exactly beyond the gateway wire bounds', async () => {
  const bootstrap = await readFile(new URL('../worker/bootstrap.mjs', import.meta.url), 'utf8');
  assert.match(bootstrap, new RegExp(`const KV_WIRE = \\{ namespace: ${KV_WIRE.namespace}, key: ${KV_WIRE.key}, valueChars: ${KV_WIRE.valueChars / 1024} \\* 1024 \\};`));
  assert.match(bootstrap, new RegExp(`const KV_LIST_DEFAULT = ${KV_LIMITS.listDefault};`));
});
