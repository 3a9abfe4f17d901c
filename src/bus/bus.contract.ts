// The one contract every EventBus implementation passes (in-process now, NATS later). Delivery may be
// asynchronous on a networked bus, so assertions wait for events instead of expecting them synchronously.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulwarkError } from '../errors.ts';
import type { EventBus, SecurityEvent } from './bus.ts';

const event = (n: number): SecurityEvent => ({
  type: 'deploy.succeeded', at: `2026-01-01T00:00:0${n % 10}.000Z`, requestId: `req_${n}`, function: 'hello', version: n,
  actor: 'key_contract', detail: { nested: { n } },
});

/** Collects events and lets a test wait until `count` have arrived (or fail after a bound). */
function collector() {
  const got: SecurityEvent[] = [];
  const waiters: Array<() => void> = [];
  return {
    got,
    handler: (e: SecurityEvent) => {
      got.push(e);
      for (const w of waiters.splice(0)) w();
    },
    async waitFor(count: number, ms = 2000) {
      const deadline = Date.now() + ms;
      while (got.length < count) {
        if (Date.now() > deadline) assert.fail(`expected ${count} events, got ${got.length}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 20);
        });
      }
    },
  };
}

export function runBusContract(name: string, open: () => Promise<EventBus>): void {
  const withBus = (title: string, fn: (bus: EventBus) => Promise<void>) =>
    test(`bus contract (${name}): ${title}`, async (t) => {
      const bus = await open();
      t.after(() => bus.close());
      await fn(bus);
    });

  withBus('every subscriber receives every event, in publish order', async (bus) => {
    const a = collector();
    const b = collector();
    bus.subscribe('security', a.handler);
    bus.subscribe('security', b.handler);
    for (let i = 1; i <= 5; i++) await bus.publish('security', event(i));
    await a.waitFor(5);
    await b.waitFor(5);
    assert.deepEqual(a.got, [1, 2, 3, 4, 5].map(event));
    assert.deepEqual(b.got, a.got);
  });

  withBus('a throwing or rejecting subscriber breaks neither publish nor the other subscribers', async (bus) => {
    const good = collector();
    bus.subscribe('security', () => {
      throw new Error('subscriber bug');
    });
    bus.subscribe('security', async () => {
      throw new Error('async subscriber bug');
    });
    bus.subscribe('security', good.handler);
    await bus.publish('security', event(1));
    await bus.publish('security', event(2));
    await good.waitFor(2);
    assert.deepEqual(good.got.map((e) => e.version), [1, 2]);
  });

  withBus('a subscriber mutating its event does not change what others receive', async (bus) => {
    const later = collector();
    bus.subscribe('security', (e) => {
      e.actor = 'forged';
      (e.detail!.nested as { n: number }).n = 999;
    });
    bus.subscribe('security', later.handler);
    const published = event(7);
    await bus.publish('security', published);
    await later.waitFor(1);
    assert.equal(later.got[0]!.actor, 'key_contract');
    assert.deepEqual(later.got[0]!.detail, { nested: { n: 7 } });
    assert.equal(published.actor, 'key_contract');
  });

  withBus('unsubscribe stops delivery to that subscriber only', async (bus) => {
    const a = collector();
    const b = collector();
    const offA = bus.subscribe('security', a.handler);
    bus.subscribe('security', b.handler);
    await bus.publish('security', event(1));
    await a.waitFor(1);
    offA();
    offA();
    await bus.publish('security', event(2));
    await b.waitFor(2);
    // give a networked bus time to (wrongly) deliver
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(a.got.map((e) => e.version), [1]);
  });

  withBus('publish after close is refused with BWK_E_BUS_UNAVAILABLE', async (bus) => {
    await bus.close();
    await assert.rejects(bus.publish('security', event(1)), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_BUS_UNAVAILABLE');
  });
}
