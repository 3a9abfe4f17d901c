// The deliverer on a real SQLite store and a real in-process bus: a disabled function's queue message is
// dead-lettered with the refusal, and a store error while reading the lifecycle state is an attempt that
// failed (retried), never a refusal.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { sampleVersion } from '../store/store.contract.ts';
import type { Store } from '../store/store.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import { BulwarkError } from '../errors.ts';
import type { Dispatcher } from '../gateway/dispatch.ts';
import { createDeliverer, type Delivery } from './delivery.ts';

const logger = createLogger({ level: 'silent' });

async function setup(t: import('node:test').TestContext) {
  const home = await mkdtemp(join(tmpdir(), 'bwk-delivery-'));
  const store = await openSqliteStore(home);
  const bus = createInProcessBus();
  t.after(async () => {
    await bus.close();
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
  const fn = await store.functions.deploy(sampleVersion('orders'));
  const dispatched: string[] = [];
  const dispatcher: Dispatcher = {
    async dispatch(req) {
      dispatched.push(req.requestId);
      return { admitted: true, principal: { actor: 'system', role: 'invoker', functions: ['*'] } as never, result: { statusCode: 200, headers: {}, body: '' } as never };
    },
  };
  const delivery: Delivery = {
    source: 'queue', functionName: 'orders', routedVersion: fn.version, messageId: 'm1', subject: 'orders.created',
    body: Buffer.from('{}'), principal: undefined, sourceIp: '127.0.0.1',
    triggerOf: () => ({ kind: 'queue', subject: 'orders.created' }) as never,
    event: () => ({}),
  };
  return { store, bus, dispatcher, dispatched, delivery };
}

test('a queue message for a disabled function is dead-lettered with the refusal, without dispatch', async (t) => {
  const { store, bus, dispatcher, dispatched, delivery } = await setup(t);
  await store.lifecycle.disable({ name: 'orders', at: new Date().toISOString(), actor: 'key:admin', reason: 'test' });
  const deliver = createDeliverer({ store, bus, dispatcher, logger, maxAttempts: 3, retryDelayMs: 1, closing: new AbortController().signal });
  await deliver(delivery);
  assert.equal(dispatched.length, 0);
  const [letter] = await store.deadLetters.list({ limit: 10 });
  assert.equal(letter?.reason, 'BWK_E_GATEWAY_FUNCTION_DISABLED');
});

test('a store error reading the lifecycle state is retried, not taken for a refusal', async (t) => {
  const { store, bus, dispatcher, dispatched, delivery } = await setup(t);
  let failures = 1;
  // The real store, with one read of the disabled state failing as a busy database would.
  const flaky: Store = {
    ...store,
    lifecycle: {
      ...store.lifecycle,
      disabled: async (name) => {
        if (failures-- > 0) throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite']);
        return store.lifecycle.disabled(name);
      },
    },
  };
  const deliver = createDeliverer({ store: flaky, bus, dispatcher, logger, maxAttempts: 3, retryDelayMs: 1, closing: new AbortController().signal });
  await deliver(delivery);
  assert.equal(dispatched.length, 1, 'the second attempt delivered it');
  assert.deepEqual(await store.deadLetters.list({ limit: 10 }), []);
});
