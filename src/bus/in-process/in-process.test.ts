import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runBusContract } from '../bus.contract.ts';
import { createInProcessBus } from './index.ts';
import type { SecurityEvent } from '../bus.ts';

runBusContract('in-process', async () => createInProcessBus());

test('in-process bus: subscriber failures go to onError with the topic, sync and async', async () => {
  const reported: Array<[string, string]> = [];
  const bus = createInProcessBus({ onError: (err, topic) => reported.push([topic, (err as Error).message]) });
  bus.subscribe('security', () => {
    throw new Error('sync');
  });
  bus.subscribe('security', () => Promise.reject(new Error('async')));
  const e: SecurityEvent = { type: 'auth.failed', at: new Date().toISOString() };
  await bus.publish('security', e);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(reported, [['security', 'sync'], ['security', 'async']]);
  await bus.close();
});

test('in-process bus: delivery is synchronous, so an event is seen before publish resolves', async () => {
  const bus = createInProcessBus();
  const seen: string[] = [];
  bus.subscribe('security', (e) => void seen.push(e.type));
  const p = bus.publish('security', { type: 'key.created', at: new Date().toISOString() });
  assert.deepEqual(seen, ['key.created']);
  await p;
  await bus.close();
});
