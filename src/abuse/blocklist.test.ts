import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type IpBlockConfig } from '../config.ts';
import { openStore } from '../store/index.ts';
import type { Store } from '../store/store.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import { BulwarkError } from '../errors.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createBlocklist, type Blocklist } from './blocklist.ts';

const logger = createLogger({ level: 'silent' });

/** A real store and bus on a temp home; `clock` drives the blocklist's notion of now. */
async function setup(t: { after: (fn: () => Promise<void>) => void }, over: Partial<IpBlockConfig> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-blocklist-'));
  const config = { ...defaultConfig(dir).ipBlock, blockTtlMs: 60_000, maxBlockTtlMs: 200_000, ...over };
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  let store: Store = await openStore(defaultConfig(dir));
  const lists: Blocklist[] = [];
  const open = async (): Promise<Blocklist> => {
    const list = await createBlocklist({ store: store.blocks, bus, logger, config, now: () => clock.t });
    lists.push(list);
    return list;
  };
  const reopen = async (): Promise<Blocklist> => {
    for (const l of lists) l.close();
    await store.close();
    store = await openStore(defaultConfig(dir));
    return open();
  };
  t.after(async () => {
    for (const l of lists) l.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { clock, events, open, reopen, store: () => store };
}

const evidence = [{ at: '2030-01-01T00:00:00.000Z', type: 'guard.rejected', guard: 'injection', rule: 'sql', code: 'BWK_E_GUARD_INJECTION', weight: 3 }];

test('an automatic block refuses the address for its TTL, doubling on repeat offences up to the cap', async (t) => {
  const { clock, events, open } = await setup(t);
  const list = await open();
  const first = await list.blockAutomatically('203.0.113.7', { score: 12, evidence });
  assert.equal(first?.offence, 1);
  assert.equal(list.blocked('203.0.113.7')?.kind, 'automatic');
  assert.equal(list.blocked('203.0.113.8'), undefined);
  assert.equal(Date.parse(first!.expiresAt!) - clock.t, 60_000);
  const published = events.find((e) => e.type === 'ip.blocked')!;
  assert.equal(published.sourceIp, '203.0.113.7');
  assert.deepEqual(published.detail, { address: '203.0.113.7', kind: 'automatic', reason: first!.reason, ttlMs: 60_000, expiresAt: first!.expiresAt, offence: 1, score: 12, evidence });

  assert.equal(await list.blockAutomatically('203.0.113.7', { score: 20, evidence }), undefined, 'already blocked: nothing new');
  const ttls: number[] = [];
  for (let i = 0; i < 4; i++) {
    clock.t += 300_000; // past any TTL so far
    assert.equal(list.blocked('203.0.113.7'), undefined, 'a block stops refusing at its expiry');
    const b = await list.blockAutomatically('203.0.113.7', { score: 12, evidence });
    ttls.push(Date.parse(b!.expiresAt!) - clock.t);
  }
  assert.deepEqual(ttls, [120_000, 200_000, 200_000, 200_000], '60 s doubled, capped at maxBlockTtlMs');
});

test('repeat offences count only within the repeat window', async (t) => {
  const { clock, open } = await setup(t, { repeatWindowMs: 1_000_000 });
  const list = await open();
  await list.blockAutomatically('198.51.100.1', { score: 12, evidence });
  clock.t += 2_000_000;
  const later = await list.blockAutomatically('198.51.100.1', { score: 12, evidence });
  assert.equal(later?.offence, 1, 'the earlier block is outside the window');
});

test('an allowlisted address is never blocked: not automatically, not by hand', async (t) => {
  const { events, open } = await setup(t, { allowlist: ['10.0.0.0/8'] });
  const list = await open();
  assert.equal(await list.blockAutomatically('10.1.2.3', { score: 99, evidence }), undefined);
  await assert.rejects(list.blockManually('10.1.2.3', { reason: 'x', ttlMs: null, actor: 'key:a' }),
    (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_REGISTRY_BLOCK_REFUSED');
  assert.equal(list.blocked('10.1.2.3'), undefined);
  assert.equal(events.length, 0);
});

test('manual blocks and unblocks are recorded and published with the admin as actor', async (t) => {
  const { events, open } = await setup(t);
  const list = await open();
  const block = await list.blockManually('2001:db8::1', { reason: 'scanner seen in the logs', ttlMs: null, actor: 'key:admin0000001', requestId: 'req-1' });
  assert.equal(block.expiresAt, null, 'no TTL: until removed');
  assert.deepEqual(list.list().map((b) => b.address), ['2001:db8::1']);
  const lifted = await list.unblock('2001:db8::1', { reason: 'resolved', actor: 'key:admin0000001', requestId: 'req-2' });
  assert.equal(lifted.reason, 'scanner seen in the logs');
  assert.equal(list.blocked('2001:db8::1'), undefined);
  await assert.rejects(list.unblock('2001:db8::1', { reason: 'again', actor: 'key:admin0000001' }),
    (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_REGISTRY_BLOCK_NOT_FOUND');
  assert.deepEqual(events.map((e) => [e.type, e.actor, e.requestId, e.detail?.kind]), [
    ['ip.blocked', 'key:admin0000001', 'req-1', 'manual'],
    ['ip.unblocked', 'key:admin0000001', 'req-2', 'manual'],
  ]);
  const history = await list.history({ address: '2001:db8::1', limit: 10 });
  assert.deepEqual(history.map((h) => [h.action, h.kind, h.reason, h.actor]), [
    ['unblocked', 'manual', 'resolved', 'key:admin0000001'],
    ['blocked', 'manual', 'scanner seen in the logs', 'key:admin0000001'],
  ]);
});

test('blocks survive a restart; blocks that ran out meanwhile, or whose address is now allowlisted, are lifted and recorded', async (t) => {
  const { clock, events, open, reopen } = await setup(t);
  const list = await open();
  await list.blockAutomatically('192.0.2.1', { score: 12, evidence });
  await list.blockManually('192.0.2.2', { reason: 'long', ttlMs: 10_000_000, actor: 'key:a' });
  await list.blockManually('192.0.2.3', { reason: 'short', ttlMs: 1_000, actor: 'key:a' });
  clock.t += 5_000;
  const again = await reopen();
  assert.equal(again.blocked('192.0.2.1')?.evidence[0]?.guard, 'injection', 'the automatic block and its evidence came back');
  assert.equal(again.blocked('192.0.2.2')?.reason, 'long');
  assert.equal(again.blocked('192.0.2.3'), undefined);
  assert.ok(events.some((e) => e.type === 'ip.unblocked' && e.sourceIp === '192.0.2.3' && e.detail?.kind === 'expired'));
  assert.equal((await again.history({ address: '192.0.2.3', limit: 5 }))[0]?.kind, 'expired');
});

test('an address allowlisted after it was blocked is unblocked at start', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-blocklist-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const config = defaultConfig(dir).ipBlock;
  let store = await openStore(defaultConfig(dir));
  const first = await createBlocklist({ store: store.blocks, bus, logger, config });
  await first.blockManually('192.0.2.50', { reason: 'r', ttlMs: null, actor: 'key:a' });
  first.close();
  await store.close();
  store = await openStore(defaultConfig(dir));
  const second = await createBlocklist({ store: store.blocks, bus, logger, config: { ...config, allowlist: ['192.0.2.0/24'] } });
  t.after(async () => {
    second.close();
    await store.close();
  });
  assert.equal(second.blocked('192.0.2.50'), undefined);
  assert.deepEqual(events.filter((e) => e.type === 'ip.unblocked').map((e) => e.detail?.kind), ['allowlisted']);
});

test('expired blocks are lifted by the sweep without any request, and ip.unblocked is published', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-blocklist-'));
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const store = await openStore(defaultConfig(dir));
  // The real clock: the sweep runs on a real timer.
  const list = await createBlocklist({ store: store.blocks, bus, logger, config: defaultConfig(dir).ipBlock });
  t.after(async () => {
    list.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  await list.blockManually('192.0.2.77', { reason: 'short', ttlMs: 200, actor: 'key:a' });
  const deadline = Date.now() + 5000;
  while (!events.some((e) => e.type === 'ip.unblocked') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  const lifted = events.find((e) => e.type === 'ip.unblocked');
  assert.equal(lifted?.detail?.kind, 'expired');
  assert.equal(lifted?.sourceIp, '192.0.2.77');
  assert.deepEqual(list.list(), []);
  assert.deepEqual(await store.blocks.list(), [], 'lifted in the store too');
});
