import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig, type IpBlockConfig } from '../config.ts';
import { openStore } from '../store/index.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import { publishSecurityEvent, type SecurityEvent } from '../bus/bus.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createBlocklist } from './blocklist.ts';
import { EVIDENCE_KEPT, startAbuseScorer } from './scorer.ts';

const logger = createLogger({ level: 'silent' });

/** The real blocklist on a real store and bus, the scorer subscribed to it, and a clock the test moves. */
async function setup(t: { after: (fn: () => Promise<void>) => void }, over: Partial<IpBlockConfig> = {}) {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-scorer-'));
  const config: IpBlockConfig = { ...defaultConfig(dir).ipBlock, ...over };
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const store = await openStore(defaultConfig(dir));
  const blocklist = await createBlocklist({ store: store.blocks, bus, logger, config, now: () => clock.t });
  const scorer = startAbuseScorer({ bus, blocklist, config, logger, now: () => clock.t });
  t.after(async () => {
    scorer.stop();
    blocklist.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  const publish = (type: SecurityEvent['type'], sourceIp: string, detail: Record<string, unknown> = {}) =>
    publishSecurityEvent(bus, logger, { type, sourceIp, requestId: `req-${++n}`, function: 'demo', detail });
  const rejected = (guard: string, sourceIp: string, rule: string | null = null) => publish('guard.rejected', sourceIp, { guard, rule, code: 'BWK_E_X', source: 'http' });
  /** Lets the automatic block (one store round-trip) finish. */
  const settle = () => new Promise((r) => setImmediate(r));
  return { clock, events, blocklist, scorer, publish, rejected, settle };
}

test('five injection attempts block the address, with those five events as the evidence', async (t) => {
  const { events, blocklist, rejected, settle } = await setup(t);
  for (let i = 0; i < 4; i++) await rejected('injection', '203.0.113.9', 'sql');
  await settle();
  assert.equal(blocklist.blocked('203.0.113.9'), undefined, 'four (score 96) are not yet enough');
  await rejected('injection', '203.0.113.9', 'sql');
  await settle();
  const block = blocklist.blocked('203.0.113.9');
  assert.equal(block?.kind, 'automatic');
  const blocked = events.find((e) => e.type === 'ip.blocked')!;
  const evidence = blocked.detail?.evidence as Array<Record<string, unknown>>;
  assert.equal(evidence.length, 5);
  assert.deepEqual(evidence.map((e) => [e.type, e.guard, e.rule, e.weight, e.function]), Array(5).fill(['guard.rejected', 'injection', 'sql', 24, 'demo']));
  assert.deepEqual(evidence.map((e) => e.requestId), ['req-1', 'req-2', 'req-3', 'req-4', 'req-5']);
});

test('weights: schema failures are light, rate-limit medium, authn refusals count through auth.failed only', async (t) => {
  const { blocklist, scorer, rejected, publish, settle } = await setup(t);
  for (let i = 0; i < 10; i++) await rejected('schema', '198.51.100.1');
  assert.equal(scorer.score('198.51.100.1'), 30, '10 schema failures');
  await rejected('rate-limit', '198.51.100.2', 'per-address');
  assert.equal(scorer.score('198.51.100.2'), 8);
  for (const guard of ['authn', 'concurrency', 'budget', 'ip-block', 'some-future-guard']) await rejected(guard, '198.51.100.3');
  assert.equal(scorer.score('198.51.100.3'), 0, 'refusals that say nothing about the caller weigh nothing');
  await publish('auth.failed', '198.51.100.4', { reason: 'key-unknown' });
  await publish('route.unknown', '198.51.100.4', { method: 'GET', path: '/fn/wp-admin' });
  assert.equal(scorer.score('198.51.100.4'), 15 + 8);
  await publish('authz.denied', '198.51.100.5');
  await publish('deploy.succeeded', '198.51.100.5');
  assert.equal(scorer.score('198.51.100.5'), 0);
  await settle();
  assert.deepEqual(blocklist.list(), []);
});

test('scores decay: the same attacks spread over hours never add up to a block', async (t) => {
  const { clock, blocklist, scorer, rejected, settle } = await setup(t, { scoreHalfLifeMs: 60_000 });
  await rejected('injection', '192.0.2.10');
  clock.t += 60_000;
  assert.equal(scorer.score('192.0.2.10'), 12, 'halved after one half-life');
  for (let i = 0; i < 20; i++) {
    clock.t += 10 * 60_000;
    await rejected('injection', '192.0.2.10');
  }
  await settle();
  assert.equal(blocklist.blocked('192.0.2.10'), undefined);
});

test('an allowlisted address is never scored or blocked; events without an address are ignored', async (t) => {
  const { blocklist, scorer, rejected, publish, settle } = await setup(t, { allowlist: ['192.0.2.0/24'] });
  for (let i = 0; i < 20; i++) await rejected('injection', '192.0.2.33');
  await settle();
  assert.equal(scorer.score('192.0.2.33'), 0);
  assert.equal(blocklist.blocked('192.0.2.33'), undefined);
  for (let i = 0; i < 20; i++) await publish('auth.failed', '');
  for (let i = 0; i < 20; i++) await publish('auth.failed', 'not-an-address');
  await settle();
  assert.equal(scorer.score('not-an-address'), 0);
  assert.deepEqual(blocklist.list(), []);
});

test('the evidence keeps the most recent events only, and the scored addresses are bounded', async (t) => {
  const { events, rejected, scorer, settle } = await setup(t, { threshold: 110, maxTracked: 50, weights: { guards: { schema: 1, injection: 10 }, authFailed: 0, routeUnknown: 0 } });
  for (let i = 0; i < 60; i++) await rejected('schema', '192.0.2.1');
  for (let i = 0; i < 5; i++) await rejected('injection', '192.0.2.1');
  await settle();
  const evidence = events.find((e) => e.type === 'ip.blocked')!.detail?.evidence as Array<{ guard: string }>;
  assert.equal(evidence.length, EVIDENCE_KEPT);
  assert.deepEqual(evidence.slice(-5).map((e) => e.guard), Array(5).fill('injection'));
  for (let i = 0; i < 200; i++) await rejected('schema', `198.51.100.${i % 250}`);
  assert.equal(scorer.score('198.51.100.0'), 0, 'the least recently seen addresses were forgotten');
  assert.ok(scorer.score('198.51.100.199') > 0);
});
