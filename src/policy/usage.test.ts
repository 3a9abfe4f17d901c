// The usage recorder on the in-process bus and a real SQLite store: capability events are aggregated and
// written per flush; other events and malformed ones are ignored.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { createInProcessBus } from '../bus/in-process/index.ts';
import { publishSecurityEvent, type SecurityEvent } from '../bus/bus.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import { hostPort, startUsageRecorder } from './usage.ts';

const logger = createLogger({ level: 'silent' });

test('capability events are counted per function, capability, target and outcome, written on flush and on close', async (t) => {
  const home = await mkdtemp(join(tmpdir(), 'bwk-usage-'));
  const store = await openSqliteStore(home);
  t.after(async () => {
    await store.close();
    await rm(home, { recursive: true, force: true });
  });
  const bus = createInProcessBus();
  const recorder = startUsageRecorder({ bus, store: store.capabilityUse, logger, flushIntervalMs: 60_000 });
  const publish = (event: Omit<SecurityEvent, 'at'>) => publishSecurityEvent(bus, logger, event);
  const used = (fn: string, capability: string, target: string) => publish({ type: 'capability.used', function: fn, detail: { capability, target } });

  await used('shop', 'secrets', 'A');
  await used('shop', 'secrets', 'A');
  await used('shop', 'fetch', '127.0.0.1:9000');
  await publish({ type: 'capability.denied', function: 'shop', detail: { capability: 'secrets', target: 'Z' } });
  await used('other', 'secrets', 'A');
  // Not capability use, or not well formed: ignored.
  await publish({ type: 'guard.rejected', function: 'shop', detail: { capability: 'secrets', target: 'B' } });
  await publish({ type: 'capability.used', detail: { capability: 'secrets', target: 'B' } });
  await publish({ type: 'capability.used', function: 'shop', detail: { capability: 'secrets' } });
  await tick();
  assert.deepEqual(await store.capabilityUse.list('shop'), [], 'nothing is written before a flush');

  await recorder.flush();
  const rows = await store.capabilityUse.list('shop');
  assert.deepEqual(rows.map((r) => [r.capability, r.target, r.outcome, r.count]), [
    ['fetch', '127.0.0.1:9000', 'used', 1], ['secrets', 'A', 'used', 2], ['secrets', 'Z', 'denied', 1],
  ]);
  assert.ok(rows.every((r) => r.firstSeen <= r.lastSeen && r.lastSeen <= Date.now()));

  await used('shop', 'secrets', 'A');
  await tick();
  await recorder.close();
  await used('shop', 'secrets', 'A');
  await tick();
  assert.equal((await store.capabilityUse.list('shop')).find((r) => r.target === 'A')?.count, 3, 'close writes what is pending, then stops listening');
  assert.equal((await store.capabilityUse.list('other')).length, 1);
});

test('egress targets are host:port, IPv6 hosts in brackets', () => {
  assert.equal(hostPort('api.example.com', 443), 'api.example.com:443');
  assert.equal(hostPort('::1', 8080), '[::1]:8080');
});
