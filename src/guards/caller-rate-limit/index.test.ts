import { test } from 'node:test';
import assert from 'node:assert/strict';
import { anonymous, type Principal } from '../../auth/principal.ts';
import { create } from './index.ts';
import { createCallerThrottles } from '../../limits/caller-throttles.ts';
import { manifestYaml, request, target } from '../testing.ts';

const fn = target(manifestYaml());
const limited = target(manifestYaml({ name: 'limited', limits: '{ rate: 2/min }' }));
const alice: Principal = { kind: 'api-key', actor: 'key:alice0000001', keyId: 'alice0000001', roles: ['invoker'], functions: ['*'] };
const bob: Principal = { kind: 'jwt', actor: 'jwt:bob', roles: ['invoker'], functions: ['*'] };

test('each authenticated caller gets its own bucket: 429 with Retry-After past it, others unaffected', async () => {
  const guard = create({ perCaller: { rate: '1/s', burst: 2 }, perFunction: null, maxTracked: 100 }, { now: () => 0 });
  assert.equal((await guard(request(fn, { principal: alice }))).pass, true);
  assert.equal((await guard(request(fn, { principal: alice }))).pass, true);
  const v = await guard(request(fn, { principal: alice }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_RATE_LIMITED');
  assert.equal(!v.pass && v.rule, 'per-caller');
  assert.deepEqual(!v.pass && v.headers, { 'retry-after': '1' });
  assert.equal((await guard(request(fn, { principal: bob }))).pass, true);
});

test('only verified callers are charged: requests without an authenticated principal never touch a caller bucket', async () => {
  const guard = create({ perCaller: { rate: '1/h', burst: 1 }, perFunction: null, maxTracked: 100 }, { now: () => 0 });
  // What an attacker sending alice's key id with a wrong secret would look like, had it got this far
  // (authn refuses it first): no principal. And anonymous callers of public routes.
  for (let i = 0; i < 50; i++) {
    assert.equal((await guard(request(fn, { principal: undefined }))).pass, true);
    assert.equal((await guard(request(fn, { principal: anonymous }))).pass, true);
  }
  assert.equal((await guard(request(fn, { principal: alice }))).pass, true, "alice's bucket is still full");
});

test('limits.rate caps the whole function, all callers together, and overrides the config default', async () => {
  let t = 0;
  const guard = create({ perCaller: null, perFunction: { rate: '1000/s', burst: 1000 }, maxTracked: 100 }, { now: () => t });
  assert.equal((await guard(request(limited, { principal: alice }))).pass, true);
  assert.equal((await guard(request(limited, { principal: bob }))).pass, true);
  const v = await guard(request(limited, { principal: anonymous }));
  assert.equal(!v.pass && v.rule, 'per-function');
  assert.deepEqual(!v.pass && v.headers, { 'retry-after': '30' });
  for (let i = 0; i < 100; i++) assert.equal((await guard(request(fn, { principal: alice }))).pass, true, 'other functions use the config default');
  t = 30_000;
  assert.equal((await guard(request(limited, { principal: bob }))).pass, true);
});

test('the caller bucket is taken first: a caller over its own limit does not use up the function', async () => {
  const guard = create({ perCaller: { rate: '1/h', burst: 1 }, perFunction: null, maxTracked: 100 }, { now: () => 0 });
  assert.equal((await guard(request(limited, { principal: alice }))).pass, true);
  for (let i = 0; i < 10; i++) assert.equal(((await guard(request(limited, { principal: alice }))) as { rule?: string }).rule, 'per-caller');
  assert.equal((await guard(request(limited, { principal: bob }))).pass, true, 'the function still has its second token');
});

test('a caller on an incident throttle is held to its rate instead of perCaller, until it runs out', async () => {
  let t = 0;
  const throttles = createCallerThrottles({ now: () => t });
  const guard = create({ perCaller: { rate: '1000/s', burst: 1000 }, perFunction: null, maxTracked: 100 }, { now: () => t, throttles });
  throttles.set({ actor: alice.actor, spec: { rate: { count: 1, perMs: 60_000 }, burst: 2 }, until: 120_000, reason: 'incident inc_x' });
  assert.equal((await guard(request(fn, { principal: alice }))).pass, true);
  assert.equal((await guard(request(fn, { principal: alice }))).pass, true);
  const v = await guard(request(fn, { principal: alice }));
  assert.equal(!v.pass && v.rule, 'throttled');
  assert.deepEqual(!v.pass && v.headers, { 'retry-after': '60' });
  for (let i = 0; i < 20; i++) assert.equal((await guard(request(fn, { principal: bob }))).pass, true, 'other callers keep perCaller');
  t = 120_000;
  for (let i = 0; i < 20; i++) assert.equal((await guard(request(fn, { principal: alice }))).pass, true, 'the throttle ran out');
});
