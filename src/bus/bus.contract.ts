// The one contract every EventBus implementation passes (in-process now, NATS later). Delivery may be
// asynchronous on a networked bus, so assertions wait for events instead of expecting them synchronously.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { BulwarkError } from '../errors.ts';
import type { BusMessage, EventBus, SecurityEvent } from './bus.ts';

const event = (n: number): SecurityEvent => ({
  type: 'deploy.succeeded', at: `2026-01-01T00:00:0${n % 10}.000Z`, requestId: `req_${n}`, function: 'hello', version: n,
  actor: 'key_contract', detail: { nested: { n } },
});

/** Collects events (or messages) and lets a test wait until `count` have arrived (or fail after a bound). */
function collector<T = SecurityEvent>() {
  const got: T[] = [];
  const waiters: Array<() => void> = [];
  return {
    got,
    handler: (e: T) => {
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

const message = (subject: string, n: number): BusMessage => ({
  subject,
  data: new TextEncoder().encode(JSON.stringify({ n })),
  headers: { 'bulwark-message-id': `m${n}` },
});

/** A message as comparable data (a Uint8Array from another realm or a Buffer compares by bytes). */
const plain = (m: BusMessage) => ({ subject: m.subject, data: Buffer.from(m.data).toString('utf8'), headers: { ...m.headers } });

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
    await assert.rejects(bus.publishMessage(message('a.b', 1)), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_BUS_UNAVAILABLE');
  });

  withBus('messages reach every subscriber of their exact subject, in publish order, with data and headers', async (bus) => {
    const a = collector<BusMessage>();
    const b = collector<BusMessage>();
    const other = collector<BusMessage>();
    bus.subscribeMessages('images.uploaded', a.handler);
    bus.subscribeMessages('images.uploaded', b.handler);
    bus.subscribeMessages('images', other.handler);
    bus.subscribeMessages('images.uploaded.large', other.handler);
    for (let i = 1; i <= 3; i++) await bus.publishMessage(message('images.uploaded', i));
    await a.waitFor(3);
    await b.waitFor(3);
    assert.deepEqual(a.got.map(plain), [1, 2, 3].map((i) => plain(message('images.uploaded', i))));
    assert.deepEqual(b.got.map(plain), a.got.map(plain));
    // A message no one subscribes to is dropped, without error.
    await bus.publishMessage(message('nobody.listens', 4));
    await new Promise((r) => setTimeout(r, 50));
    assert.deepEqual(other.got, []);
  });

  withBus('a subscriber mutating its message changes neither what others receive nor the publisher\'s copy', async (bus) => {
    const later = collector<BusMessage>();
    bus.subscribeMessages('a.b', (m) => {
      m.data[0] = 0x58;
      m.headers.forged = 'yes';
    });
    bus.subscribeMessages('a.b', later.handler);
    const sent = message('a.b', 7);
    await bus.publishMessage(sent);
    await later.waitFor(1);
    assert.deepEqual(plain(later.got[0]!), plain(message('a.b', 7)));
    assert.deepEqual(plain(sent), plain(message('a.b', 7)));
  });

  withBus('a throwing message subscriber breaks neither publishMessage nor the others; unsubscribe stops delivery', async (bus) => {
    const good = collector<BusMessage>();
    bus.subscribeMessages('a.b', () => {
      throw new Error('subscriber bug');
    });
    bus.subscribeMessages('a.b', async () => {
      throw new Error('async subscriber bug');
    });
    const off = bus.subscribeMessages('a.b', good.handler);
    await bus.publishMessage(message('a.b', 1));
    await good.waitFor(1);
    off();
    await bus.publishMessage(message('a.b', 2));
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(good.got.length, 1);
  });

  withBus('wildcards, empty tokens and reserved subjects are refused with BWK_E_BUS_SUBJECT_INVALID', async (bus) => {
    const invalid = (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_BUS_SUBJECT_INVALID';
    for (const subject of ['images.*', '>', 'images.>', 'a..b', '.a', 'a.', '', 'a b', '$SYS.x', 'a.b*']) {
      await assert.rejects(bus.publishMessage(message(subject, 1)), invalid, subject);
      assert.throws(() => bus.subscribeMessages(subject, () => {}), invalid, subject);
    }
  });
}
