import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInProcessBus } from '../bus/in-process/index.ts';
import type { PoolStats } from '../runtime/sandbox/sandbox.ts';
import { parseMetrics } from '../../test/support/prometheus.ts';
import { createMetrics, ruleLabel, statusClass } from './metrics.ts';

function setup(pools: PoolStats[] = [], spend: Array<{ function: string; spend: number }> = []) {
  const bus = createInProcessBus();
  const metrics = createMetrics({ bus, pools: () => pools, spend: async () => spend, currency: 'EUR' });
  return { bus, metrics, scrape: async () => parseMetrics(await metrics.render()) };
}

test('dispatched events are counted by function, source, outcome and status class; codes and latency too', async () => {
  const { metrics, scrape } = setup();
  metrics.dispatched('hello', 'http', 'ok', 200, undefined, 0.004);
  metrics.dispatched('hello', 'http', 'ok', 204, undefined, 0.002);
  metrics.dispatched('hello', 'http', 'rejected', 401, 'BWK_E_GUARD_AUTH_REQUIRED', undefined);
  metrics.dispatched('hello', 'queue', 'failed', 504, 'BWK_E_SANDBOX_TIMEOUT', 3);
  const m = await scrape();
  assert.equal(m.value('bulwark_invocations_total', { function: 'hello', source: 'http', outcome: 'ok', status_class: '2xx' }), 2);
  assert.equal(m.value('bulwark_invocations_total', { function: 'hello', source: 'http', outcome: 'rejected', status_class: '4xx' }), 1);
  assert.equal(m.value('bulwark_invocations_total', { function: 'hello', source: 'queue', outcome: 'failed', status_class: '5xx' }), 1);
  assert.equal(m.value('bulwark_errors_total', { function: 'hello', code: 'BWK_E_GUARD_AUTH_REQUIRED' }), 1);
  assert.equal(m.value('bulwark_errors_total', { function: 'hello', code: 'BWK_E_SANDBOX_TIMEOUT' }), 1);
  assert.equal(m.value('bulwark_errors_total'), 2, 'an ok invocation records no error');
  // Refused events never reached the sandbox: no latency sample for them.
  assert.equal(m.count('bulwark_invocation_duration_seconds', { function: 'hello' }), 3);
  assert.equal(m.families.find((f) => f.name === 'bulwark_invocation_duration_seconds')!.type, 'HISTOGRAM');
  assert.equal(m.sum('bulwark_invocation_duration_seconds', { function: 'hello' }), 3.006);
});

test('guard refusals are counted from guard.rejected events by guard, rule and code; every event by type', async () => {
  const { bus, metrics, scrape } = setup();
  const at = new Date().toISOString();
  await bus.publish('security', { type: 'guard.rejected', at, detail: { guard: 'schema', rule: 'body', code: 'BWK_E_GUARD_INPUT_INVALID' } });
  await bus.publish('security', { type: 'guard.rejected', at, detail: { guard: 'schema', rule: 'body', code: 'BWK_E_GUARD_INPUT_INVALID' } });
  await bus.publish('security', { type: 'guard.rejected', at, detail: { guard: 'authn', rule: null, code: 'BWK_E_GUARD_AUTH_REQUIRED' } });
  await bus.publish('security', { type: 'auth.failed', at, detail: { reason: 'missing' } });
  const m = await scrape();
  assert.equal(m.value('bulwark_guard_rejections_total', { guard: 'schema', rule: 'body', code: 'BWK_E_GUARD_INPUT_INVALID' }), 2);
  assert.equal(m.value('bulwark_guard_rejections_total', { guard: 'authn', rule: '', code: 'BWK_E_GUARD_AUTH_REQUIRED' }), 1);
  assert.equal(m.value('bulwark_security_events_total', { type: 'guard.rejected' }), 3);
  assert.equal(m.value('bulwark_security_events_total', { type: 'auth.failed' }), 1);
  metrics.close();
  await bus.publish('security', { type: 'auth.failed', at });
  assert.equal((await scrape()).value('bulwark_security_events_total', { type: 'auth.failed' }), 1, 'closed: no longer listening');
});

test('pool state and spend are read at scrape time, and a function gone from the pools disappears', async () => {
  const pools: PoolStats[] = [{ function: 'a', busy: 2, idle: 1, starting: 1, queued: 3 }];
  const { metrics, scrape } = setup(pools, [{ function: 'a', spend: 0.25 }]);
  let m = await scrape();
  assert.equal(m.value('bulwark_sandbox_workers', { function: 'a', state: 'busy' }), 2);
  assert.equal(m.value('bulwark_sandbox_workers', { function: 'a', state: 'idle' }), 1);
  assert.equal(m.value('bulwark_sandbox_workers', { function: 'a', state: 'starting' }), 1);
  assert.equal(m.value('bulwark_sandbox_queued', { function: 'a' }), 3);
  assert.equal(m.value('bulwark_function_spend', { function: 'a', currency: 'EUR' }), 0.25);
  pools.splice(0, 1, { function: 'b', busy: 0, idle: 1, starting: 0, queued: 0 });
  m = await scrape();
  assert.equal(m.samples('bulwark_sandbox_workers').some((s) => s.labels?.function === 'a'), false);
  assert.equal(m.value('bulwark_sandbox_workers', { function: 'b', state: 'idle' }), 1);
  metrics.workerStarted('b', 0.12, true);
  metrics.workerStarted('b', 0.5, false);
  m = await scrape();
  assert.equal(m.value('bulwark_sandbox_worker_spawns_total', { function: 'b', result: 'ready' }), 1);
  assert.equal(m.value('bulwark_sandbox_worker_spawns_total', { function: 'b', result: 'failed' }), 1);
  assert.equal(m.count('bulwark_sandbox_worker_start_seconds', { function: 'b' }), 2);
});

test('two gateways in one process keep separate registries (no global default registry)', async () => {
  const one = setup();
  const two = setup();
  one.metrics.dispatched('x', 'http', 'ok', 200, undefined, 0.001);
  assert.equal((await one.scrape()).value('bulwark_invocations_total'), 1);
  assert.equal((await two.scrape()).value('bulwark_invocations_total'), 0);
  assert.notEqual(one.metrics.registry, two.metrics.registry);
});

test('labels: rules are kept to identifier shape, status classes to the HTTP ones', () => {
  assert.equal(ruleLabel('body'), 'body');
  assert.equal(ruleLabel('call-token-expired'), 'call-token-expired');
  assert.equal(ruleLabel(null), '');
  assert.equal(ruleLabel('a"b\nc} d'), 'a_b_c__d');
  assert.equal(ruleLabel('x'.repeat(100)).length, 64);
  assert.equal(statusClass(499), '4xx');
  assert.equal(statusClass(200), '2xx');
  assert.equal(statusClass(42), 'other');
});
