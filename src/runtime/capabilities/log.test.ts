import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultConfig } from '../../config.ts';
import { createInProcessBus } from '../../bus/in-process/index.ts';
import { createLogger } from '../../telemetry/logger.ts';
import { sampleVersion } from '../../store/store.contract.ts';
import type { FunctionLogEntry } from '../../store/store.ts';
import { Broker } from '../broker/broker.ts';
import type { InvocationContext } from './capability.ts';
import { log } from './log.ts';

function setup() {
  const entries: FunctionLogEntry[] = [];
  const broker = new Broker({
    config: defaultConfig('/nonexistent'),
    logger: createLogger({ level: 'silent' }),
    bus: createInProcessBus(),
    logs: { append: async (e) => { entries.push(...e); }, query: async () => entries },
  });
  const v = sampleVersion('logger');
  const inv: InvocationContext = {
    target: { name: v.name, version: 1, sha256: v.sha256, manifest: v.manifest },
    requestId: 'req-1', actor: 'key:caller', hop: 0, startedAt: Date.now() - 1000, logLines: 0, logBytes: 0,
  };
  return { broker, inv, entries };
}

test('a log line may carry its time; it is kept only between the invocation start and now', async () => {
  const { broker, inv, entries } = setup();
  const within = inv.startedAt + 500;
  await broker.call(inv, 0, 'log', { level: 'info', message: 'within', at: within });
  await broker.call(inv, 0, 'log', { level: 'info', message: 'before', at: 0 });
  await broker.call(inv, 0, 'log', { level: 'info', message: 'future', at: Date.now() + 86_400_000 });
  const after = Date.now();
  const at = (m: string) => Date.parse(entries.find((e) => e.message === m)!.at);
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

test('log notifications hold no open-call slot: many at once are all written', async () => {
  const { broker, inv, entries } = setup();
  await Promise.all(Array.from({ length: 100 }, (_, i) => broker.call(inv, 0, 'log', { level: 'info', message: `n${i}` })));
  assert.equal(entries.length, 100);
});
