import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import { anonymous, functionPrincipal, scheduler, type Principal } from '../../auth/principal.ts';
import { manifestYaml, queueRequest, request, scheduleRequest, target } from '../testing.ts';

const fn = target(manifestYaml({ name: 'orders' }));
const publicFn = target(manifestYaml({ name: 'orders', auth: 'public' }));
const authz = create();
const key = (roles: Principal['roles'], functions: string[]): Principal => ({ kind: 'api-key', actor: 'key:x', roles, functions, keyId: 'x' });

test('an invoker scoped to the function, or to *, may invoke', async () => {
  assert.equal((await authz(request(fn, { principal: key(['invoker'], ['orders']) }))).pass, true);
  assert.equal((await authz(request(fn, { principal: key(['deployer'], ['*']) }))).pass, true);
});

test('a key scoped to another function is denied with BWK_E_GUARD_FORBIDDEN and an authz.denied event', async () => {
  const v = await authz(request(fn, { principal: key(['invoker'], ['billing']) }));
  assert.equal(v.pass, false);
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_FORBIDDEN');
  assert.equal(!v.pass && v.event?.type, 'authz.denied');
});

test('a viewer may not invoke, nor a JWT without roles (default deny)', async () => {
  const viewer = await authz(request(fn, { principal: key(['viewer'], ['*']) }));
  assert.equal(!viewer.pass && viewer.error.code, 'BWK_E_GUARD_FORBIDDEN');
  const noRoles = await authz(request(fn, { principal: { kind: 'jwt', actor: 'jwt:a', roles: [], functions: ['*'] } }));
  assert.equal(!noRoles.pass && noRoles.error.code, 'BWK_E_GUARD_FORBIDDEN');
});

test('anonymous passes on a public trigger only', async () => {
  assert.equal((await authz(request(publicFn, { principal: anonymous }))).pass, true);
  const v = await authz(request(fn, { principal: anonymous }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_FORBIDDEN');
  const none = await authz(request(fn));
  assert.equal(!none.pass && none.error.code, 'BWK_E_GUARD_FORBIDDEN');
});

const consumer = target(manifestYaml({ name: 'orders', subject: 'orders.created', cron: '*/5 * * * *' }));

test('queue: the publisher must be allowed to invoke the consuming function, as over HTTP', async () => {
  assert.equal((await authz(queueRequest(consumer, {}, { principal: key(['invoker'], ['orders']) }))).pass, true);
  for (const publisher of [key(['invoker'], ['billing']), key(['viewer'], ['*']), anonymous, scheduler]) {
    const v = await authz(queueRequest(consumer, {}, { principal: publisher }));
    assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_FORBIDDEN', publisher.actor);
  }
});

test('schedule: the scheduler principal passes there and nowhere else; nothing else passes there', async () => {
  assert.equal((await authz(scheduleRequest(consumer))).pass, true);
  const viaHttp = await authz(request(consumer, { principal: scheduler }));
  assert.equal(!viaHttp.pass && viaHttp.error.code, 'BWK_E_GUARD_FORBIDDEN');
  const anonymousRun = await authz(scheduleRequest(consumer, { principal: anonymous }));
  assert.equal(!anonymousRun.pass && anonymousRun.error.code, 'BWK_E_GUARD_FORBIDDEN');
});

test('invoke: a calling function passes there and nowhere else; nothing else passes there', async () => {
  const fn = target(manifestYaml({ name: 'billing' }));
  const caller = functionPrincipal({ function: 'checkout', version: 2, requestId: 'r-1', hop: 1 });
  assert.equal((await authz(request(fn, { source: 'invoke', trigger: { kind: 'invoke' }, principal: caller }))).pass, true);
  const viaHttp = await authz(request(fn, { principal: caller }));
  assert.equal(!viaHttp.pass && viaHttp.error.code, 'BWK_E_GUARD_FORBIDDEN');
  for (const p of [scheduler, anonymous, key(['invoker'], ['*'])]) {
    const other = await authz(request(fn, { source: 'invoke', trigger: { kind: 'invoke' }, principal: p }));
    assert.equal(!other.pass && other.error.code, 'BWK_E_GUARD_FORBIDDEN', p.kind);
  }
});
