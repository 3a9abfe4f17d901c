import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../config.ts';
import { openStore } from '../store/index.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import { publishSecurityEvent, type SecurityEvent } from '../bus/bus.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createBlocklist } from '../abuse/blocklist.ts';
import { createCallerThrottles } from '../limits/caller-throttles.ts';
import { BulwarkError } from '../errors.ts';
import { startIncidentEngine } from './engine.ts';
import { parseRules } from './rules.ts';
import type { FunctionDisabler } from './actions.ts';

const logger = createLogger({ level: 'silent' });

const RULES = `
rules:
  - id: stuffing
    severity: high
    match: [{ type: auth.failed }]
    groupBy: sourceIp
    threshold: 3
    window: 1m
    actions:
      - type: block-address
        ttl: 10m
  - id: injection
    severity: high
    match:
      - type: injection.detected
      - type: guard.rejected
        detail: { guard: injection }
    groupBy: sourceIp
    threshold: 2
    window: 1m
    actions: []
  - id: exhausted
    severity: high
    match: [{ type: budget.tier-changed, detail: { to: exhausted } }]
    groupBy: detail.key
    actions:
      - type: throttle-caller
        rate: 1/min
        burst: 1
  - id: egress
    severity: critical
    match: [{ type: egress.denied }]
    groupBy: function
    actions:
      - type: disable-function
      - type: revoke-key
  - id: denial
    severity: medium
    match: [{ type: capability.denied }]
    groupBy: function
    firstSeen: [capability, target]
    actions: []
`;

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-incidents-'));
  const clock = { t: Date.parse('2030-01-01T00:00:00Z') };
  const bus = createInProcessBus();
  const events: SecurityEvent[] = [];
  bus.subscribe('security', (e) => { events.push(e); });
  const store = await openStore(defaultConfig(dir));
  const blocklist = await createBlocklist({ store: store.blocks, bus, logger, config: { ...defaultConfig(dir).ipBlock, allowlist: ['10.0.0.1'] }, now: () => clock.t });
  const throttles = createCallerThrottles({ now: () => clock.t });
  const disabled: string[] = [];
  const disabler: FunctionDisabler = { async disable(name) { disabled.push(name); return true; } };
  const engine = startIncidentEngine({
    rules: parseRules(RULES, 'rules.yaml').rules, store: store.incidents, bus, logger, maxTracked: 100, now: () => clock.t,
    actions: {
      bus, logger, blocklist, throttles, keys: store.keys, functions: store.functions, disabler, now: () => clock.t,
      secrets: { get: async () => undefined, rotate: async () => { throw new Error('not used'); } },
    },
  });
  t.after(async () => {
    await engine.stop();
    blocklist.close();
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  let n = 0;
  const publish = (e: Omit<SecurityEvent, 'at'>) => publishSecurityEvent(bus, logger, { requestId: `req-${++n}`, ...e });
  return { clock, bus, events, store, blocklist, throttles, disabled, engine, publish };
}

test('a threshold within the window opens one incident and blocks; later matches append to it', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 2; i++) await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.7' });
  await s.engine.idle();
  assert.equal((await s.store.incidents.list({ limit: 10 })).length, 0, 'below the threshold: nothing');
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.7' });
  await s.engine.idle();
  const [incident] = await s.store.incidents.list({ limit: 10 });
  assert.deepEqual([incident?.rule, incident?.key, incident?.status], ['stuffing', '203.0.113.7', 'open']);
  assert.equal(s.blocklist.blocked('203.0.113.7')?.actor, `incident:${incident!.id}`);
  assert.equal(s.events.filter((e) => e.type === 'incident.opened').length, 1);

  // Three more: the same incident, the block (still in force, as long) left alone.
  for (let i = 0; i < 3; i++) await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.7' });
  await s.engine.idle();
  const again = await s.store.incidents.get(incident!.id);
  assert.equal(again?.matches, 2);
  assert.deepEqual(again?.timeline.map((e) => [e.kind, e.detail?.outcome ?? null]), [['trigger', null], ['action', 'done'], ['trigger', null], ['action', 'skipped']]);
  assert.equal(s.events.filter((e) => e.type === 'incident.opened').length, 1);
  assert.deepEqual(s.events.filter((e) => e.type === 'incident.updated').map((e) => e.detail?.change), ['matched']);
  assert.equal(s.events.filter((e) => e.type === 'ip.blocked').length, 1);
});

test('events older than the window do not count, and other addresses have their own window', async (t) => {
  const s = await setup(t);
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.8' });
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.8' });
  s.clock.t += 61_000;
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.8' });
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.9' });
  await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.9' });
  await s.engine.idle();
  assert.equal((await s.store.incidents.list({ limit: 10 })).length, 0);
  // An allowlisted address is recorded, never blocked.
  for (let i = 0; i < 3; i++) await s.publish({ type: 'auth.failed', sourceIp: '10.0.0.1' });
  await s.engine.idle();
  const [incident] = await s.store.incidents.list({ limit: 10 });
  assert.equal(incident?.key, '10.0.0.1');
  assert.match((await s.store.incidents.get(incident!.id))!.timeline[1]!.summary, /skipped \(the address is on ipBlock.allowlist\)/);
  assert.equal(s.blocklist.blocked('10.0.0.1'), undefined);
});

test('events of one request count once; detail conditions must match', async (t) => {
  const s = await setup(t);
  // One refused injection request publishes both events with the same request id.
  const one = async (requestId: string) => {
    await publishSecurityEvent(s.bus, logger, { type: 'guard.rejected', requestId, sourceIp: '198.51.100.1', detail: { guard: 'injection' } });
    await publishSecurityEvent(s.bus, logger, { type: 'injection.detected', requestId, sourceIp: '198.51.100.1', detail: { class: 'sql' } });
  };
  await one('r-1');
  await publishSecurityEvent(s.bus, logger, { type: 'guard.rejected', requestId: 'r-2', sourceIp: '198.51.100.1', detail: { guard: 'schema' } });
  await s.engine.idle();
  assert.equal((await s.store.incidents.list({ limit: 10 })).length, 0, 'one request, and a refusal by another guard');
  await one('r-3');
  await s.engine.idle();
  const [incident] = await s.store.incidents.list({ limit: 10 });
  assert.equal(incident?.rule, 'injection');
  assert.deepEqual((await s.store.incidents.get(incident!.id))!.timeline[0]!.detail?.requestIds, ['r-1', 'r-3']);
});

test('the playbook never feeds on its own events: actions by an incident and incident events are ignored', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 5; i++) await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.20', actor: 'incident:inc_other' });
  await s.engine.idle();
  assert.equal((await s.store.incidents.list({ limit: 10 })).length, 0);
});

test('budget exhausted throttles the caller; egress disables the function and revokes only a verified key', async (t) => {
  const s = await setup(t);
  await s.publish({ type: 'budget.tier-changed', function: 'report', detail: { scope: 'caller', key: 'report/key:abc123', from: 'throttle', to: 'exhausted' } });
  await s.publish({ type: 'budget.tier-changed', function: 'report', detail: { scope: 'function', key: 'other', from: 'open', to: 'throttle' } });
  await s.publish({ type: 'egress.denied', function: 'exfil', actor: 'key:nosuchkey', detail: { url: 'http://x.invalid/', reason: 'not granted' } });
  await s.engine.idle();
  assert.equal(s.throttles.get('key:abc123')?.spec.burst, 1);
  assert.equal(s.throttles.list().length, 1);
  assert.deepEqual(s.disabled, ['exfil']);
  const egress = (await s.store.incidents.list({ limit: 10 })).find((i) => i.rule === 'egress')!;
  const actions = (await s.store.incidents.get(egress.id))!.timeline.filter((e) => e.kind === 'action').map((e) => [e.detail?.action, e.detail?.outcome, e.detail?.reason]);
  assert.deepEqual(actions, [['disable-function', 'done', 'disabled'], ['revoke-key', 'skipped', 'no such key']]);
});

test('firstSeen rules match once per new combination', async (t) => {
  const s = await setup(t);
  const denied = (target: string) => s.publish({ type: 'capability.denied', function: 'reader', detail: { capability: 'secrets', target } });
  await denied('A');
  await denied('A');
  await s.engine.idle();
  const [incident] = await s.store.incidents.list({ limit: 10 });
  assert.equal(incident?.matches, 1);
  await denied('B');
  await s.engine.idle();
  assert.equal((await s.store.incidents.get(incident!.id))?.matches, 2, 'a new target appends to the open incident');
});

test('acknowledge and resolve follow the status; a resolved incident makes way for a new one', async (t) => {
  const s = await setup(t);
  for (let i = 0; i < 3; i++) await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.30' });
  await s.engine.idle();
  const [incident] = await s.store.incidents.list({ limit: 10 });
  const id = incident!.id;
  assert.equal((await s.engine.acknowledge(id, { actor: 'key:admin', note: 'on it' })).status, 'acknowledged');
  await assert.rejects(s.engine.acknowledge(id, { actor: 'key:admin' }), (err) => err instanceof BulwarkError && err.code === 'BWK_E_INCIDENT_STATE');
  assert.equal((await s.engine.resolve(id, { actor: 'key:admin' })).status, 'resolved');
  await assert.rejects(s.engine.resolve(id, { actor: 'key:admin' }), (err) => err instanceof BulwarkError && err.code === 'BWK_E_INCIDENT_STATE');
  await assert.rejects(s.engine.resolve('inc_nope', { actor: 'key:admin' }), (err) => err instanceof BulwarkError && err.code === 'BWK_E_INCIDENT_NOT_FOUND');
  s.clock.t += 11 * 60_000;
  for (let i = 0; i < 3; i++) await s.publish({ type: 'auth.failed', sourceIp: '203.0.113.30' });
  await s.engine.idle();
  assert.equal((await s.store.incidents.list({ status: 'open', limit: 10 })).length, 1);
  assert.equal((await s.store.incidents.list({ limit: 10 })).length, 2);
});
