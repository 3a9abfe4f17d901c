import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLogger } from '../../telemetry/logger.ts';
import { sampleVersion } from '../../store/store.contract.ts';
import { Broker } from '../broker/broker.ts';
import { capabilityHome } from './testing.ts';
import type { InvocationContext } from './capability.ts';
import { log } from './log.ts';

async function setup(t: import('node:test').TestContext) {
  const logger = createLogger({ level: 'silent' });
  const { config, store, bus } = await capabilityHome(t, 'log', logger);
  const broker = new Broker({ config, logger, bus, logs: store.logs });
  const inv: InvocationContext = {
    target: { name: 'logger', version: 1, sha256: 'ab'.repeat(32), manifest: sampleVersion('logger').manifest },
    requestId: 'req-1', actor: 'key:caller', hop: 0, startedAt: Date.now() - 1000, logLines: 0, logBytes: 0,
  };
  const stored = () => store.logs.query({ function: 'logger', requestId: 'req-1', limit: 500 });
  return { broker, inv, stored };
}

test('a log line may carry its time; it is kept only between the invocation start and now', async (t) => {
  const { broker, inv, stored } = await setup(t);
  const within = inv.startedAt + 500;
  await broker.call(inv, 0, 'log', { level: 'info', message: 'within', at: within });
  await broker.call(inv, 0, 'log', { level: 'info', message: 'before', at: 0 });
  await broker.call(inv, 0, 'log', { level: 'info', message: 'future', at: Date.now() + 86_400_000 });
  const after = Date.now();
  const lines = await stored();
  const at = (m: string) => Date.parse(lines.find((e) => e.message === m)!.at);
  assert.equal(at('within'), within);
  assert.equal(at('before'), inv.startedAt);
  assert.ok(at('future') <= after);
});

test('a log time that is not a finite number is a protocol violation', () => {
  assert.equal(log.parse({ level: 'info', message: 'm', at: 1700000000000 }).at, 1700000000000);
  for (const at of ['1700000000000', Number.NaN, Number.POSITIVE_INFINITY, null]) {
    assert.throws(() => log.parse({ level: 'info', message: 'm', at }), { code: 'BWK_E_BROKER_PROTOCOL' });
  }
});

test('log notifications hold no open-call slot: many at once are all written', async (t) => {
  const { broker, inv, stored } = await setup(t);
  await Promise.all(Array.from({ length: 100 }, (_, i) => broker.call(inv, 0, 'log', { level: 'info', message: `n${i}` })));
  assert.equal((await stored()).length, 100);
});
