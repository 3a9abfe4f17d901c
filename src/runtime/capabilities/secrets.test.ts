import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import type { SecurityEvent } from '../../bus/bus.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { sampleVersion } from '../../store/store.contract.ts';
import { openVault } from '../../vault/vault.ts';
import { Broker } from '../broker/broker.ts';
import { capabilityHome } from './testing.ts';
import { BulwarkError } from '../../errors.ts';
import type { InvocationContext } from './capability.ts';

async function setup(t: import('node:test').TestContext) {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: new Writable({ write(c, _e, cb) { lines.push(String(c)); cb(); } }) });
  const { home, config, store, bus } = await capabilityHome(t, 'secrets', logger);
  const vault = await openVault({ store: store.secrets, home, env: {} });
  await vault.set('GRANTED', Buffer.from('granted-value-123'), 'key:test');
  await vault.set('OTHER', Buffer.from('other-value-456'), 'key:test');
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const broker = new Broker({ config, logger, bus, logs: store.logs, secrets: vault });
  const base = sampleVersion('reader').manifest;
  const manifest = { ...base, permissions: { ...base.permissions, secrets: ['GRANTED', 'NEVER_SET'] } };
  const inv: InvocationContext = {
    target: { name: 'reader', version: 3, sha256: 'ab'.repeat(32), manifest }, requestId: 'req-1', actor: 'key:caller', hop: 0, startedAt: Date.now(), logLines: 0, logBytes: 0,
  };
  return { broker, inv, events, lines };
}

test('a granted secret is served and its use recorded; others are denied and recorded, never served', async (t) => {
  const { broker, inv, events, lines } = await setup(t);
  assert.deepEqual(await broker.call(inv, 1, 'secrets', { name: 'GRANTED' }), { t: 'cap-result', call: 1, ok: true, value: 'granted-value-123' });
  const denied = await broker.call(inv, 2, 'secrets', { name: 'OTHER' });
  assert.deepEqual(denied, { t: 'cap-result', call: 2, ok: false, error: { code: 'BWK_E_BROKER_CAPABILITY_DENIED', message: 'Capability secrets: OTHER is not granted' } });
  const missing = await broker.call(inv, 3, 'secrets', { name: 'NEVER_SET' });
  assert.deepEqual(missing, { t: 'cap-result', call: 3, ok: false, error: { code: 'BWK_E_VAULT_SECRET_NOT_FOUND', message: 'No secret named NEVER_SET' } });
  assert.deepEqual(events.map((e) => [e.type, e.function, e.version, e.requestId, e.actor, e.detail]), [
    ['capability.used', 'reader', 3, 'req-1', 'key:caller', { capability: 'secrets', target: 'GRANTED' }],
    ['capability.denied', 'reader', 3, 'req-1', 'key:caller', { capability: 'secrets', target: 'OTHER' }],
  ]);
  for (const l of lines) assert.equal(l.includes('granted-value-123') || l.includes('other-value-456'), false);
});

test('a malformed secrets call is a protocol violation (the worker is killed)', async (t) => {
  const { broker, inv } = await setup(t);
  for (const args of [undefined, null, {}, { name: 7 }, { name: '' }, { name: 'X'.repeat(65) }]) {
    assert.throws(() => broker.call(inv, 1, 'secrets', args), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_BROKER_PROTOCOL');
  }
});
