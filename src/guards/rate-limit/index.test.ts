import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import { manifestYaml, queueRequest, request, scheduleRequest, target } from '../testing.ts';

const fn = target(manifestYaml({ subject: 'orders.created', cron: '*/5 * * * *' }));

test('each address gets its burst, then 429 BWK_E_GUARD_RATE_LIMITED with Retry-After; other addresses are unaffected', async () => {
  let t = 0;
  const rateLimit = create({ perAddress: { rate: '2/s', burst: 3 }, maxTracked: 100 }, { now: () => t });
  const from = (sourceIp: string) => rateLimit(request(fn, { sourceIp }));
  for (let i = 0; i < 3; i++) assert.equal((await from('203.0.113.1')).pass, true);
  const v = await from('203.0.113.1');
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_RATE_LIMITED');
  assert.equal(!v.pass && v.error.status, 429);
  assert.equal(!v.pass && v.rule, 'per-address');
  assert.deepEqual(!v.pass && v.headers, { 'retry-after': '1' }, 'a token every 500 ms: retry after 1 s');
  assert.equal(!v.pass && v.error.message, 'Too many requests: retry after 1 s');
  assert.equal((await from('203.0.113.2')).pass, true);
  t = 500;
  assert.equal((await from('203.0.113.1')).pass, true, 'one token back after 500 ms');
  assert.equal((await from('203.0.113.1')).pass, false);
});

test('Retry-After is whole seconds until the next token', async () => {
  const rateLimit = create({ perAddress: { rate: '6/min', burst: 1 }, maxTracked: 100 }, { now: () => 0 });
  assert.equal((await rateLimit(request(fn))).pass, true);
  const v = await rateLimit(request(fn));
  assert.deepEqual(!v.pass && v.headers, { 'retry-after': '10' });
});

test('queue messages and scheduled runs are not limited here; null turns the limit off', async () => {
  const rateLimit = create({ perAddress: { rate: '1/h', burst: 1 }, maxTracked: 100 }, { now: () => 0 });
  for (let i = 0; i < 5; i++) {
    assert.equal((await rateLimit(queueRequest(fn, { i }))).pass, true);
    assert.equal((await rateLimit(scheduleRequest(fn))).pass, true);
  }
  const off = create({ perAddress: null, maxTracked: 100 });
  for (let i = 0; i < 500; i++) assert.equal((await off(request(fn))).pass, true);
});
