import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../config.ts';
import { openStore } from '../../store/index.ts';
import { createInProcessBus } from '../../bus/in-process/index.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { createBlocklist } from '../../abuse/blocklist.ts';
import { blockedRefusal, create } from './index.ts';
import { manifestYaml, queueRequest, request, scheduleRequest, target } from '../testing.ts';

const dir = await mkdtemp(join(tmpdir(), 'bwk-ip-block-'));
const store = await openStore(defaultConfig(dir));
const blocklist = await createBlocklist({ store: store.blocks, bus: createInProcessBus(), logger: createLogger({ level: 'silent' }), config: defaultConfig(dir).ipBlock });
after(async () => {
  blocklist.close();
  await store.close();
  await rm(dir, { recursive: true, force: true });
});
const ipBlock = create({}, { blocklist });
const fn = target(manifestYaml({ subject: 'orders.created', cron: '*/5 * * * *' }));
await blocklist.blockManually('203.0.113.66', { reason: 'credential stuffing from this host', ttlMs: null, actor: 'key:admin0000001' });

test('a blocked address is refused with 403 BWK_E_GUARD_IP_BLOCKED, and the message says nothing about why', async () => {
  const v = await ipBlock(request(fn, { sourceIp: '203.0.113.66' }));
  assert.equal(v.pass, false);
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_IP_BLOCKED');
  assert.equal(!v.pass && v.error.status, 403);
  assert.equal(!v.pass && v.error.message, 'Access denied');
  assert.equal(!v.pass && v.rule, 'manual');
  assert.equal(!v.pass && v.headers, undefined, 'no Retry-After: when the block ends is not the caller\'s to know');
  assert.doesNotMatch(JSON.stringify(!v.pass && v.error.message), /stuffing|manual|block/i);
});

test('other addresses pass', async () => {
  assert.equal((await ipBlock(request(fn, { sourceIp: '203.0.113.67' }))).pass, true);
});

test('a queue message from a blocked publisher is refused; scheduled runs have no client and pass', async () => {
  const v = await ipBlock(queueRequest(fn, { id: 1 }, { sourceIp: '203.0.113.66' }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_IP_BLOCKED');
  assert.equal((await ipBlock(scheduleRequest(fn))).pass, true);
});

test('blockedRefusal is the same check the gateway applies to routes that invoke no function', () => {
  assert.equal(blockedRefusal(blocklist, '203.0.113.66')?.error.code, 'BWK_E_GUARD_IP_BLOCKED');
  assert.equal(blockedRefusal(blocklist, '203.0.113.67'), undefined);
});
