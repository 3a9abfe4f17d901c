import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../config.ts';
import { openStore } from '../../store/index.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { createAuthenticator } from '../../auth/authenticate.ts';
import { createCallTokenIssuer } from '../../auth/call-token.ts';
import { create } from './index.ts';
import { anonymous, scheduler, type Principal } from '../../auth/principal.ts';
import { manifestYaml, publisher, queueRequest, request, scheduleRequest, target } from '../testing.ts';

const home = mkdtempSync(join(tmpdir(), 'bwk-authn-'));
const store = await openStore(defaultConfig(home));
after(async () => {
  await store.close();
  rmSync(home, { recursive: true, force: true });
});
const authn = create({}, { authenticator: createAuthenticator({ keys: store.keys }) });
const { key } = await createApiKey(store.keys, { role: 'invoker', functions: ['demo'] });
const fn = target(manifestYaml());

test('a valid key passes and names the principal', async () => {
  const v = await authn(request(fn, { headers: { authorization: `Bearer ${key}` } }));
  assert.equal(v.pass, true);
  assert.equal(v.pass && v.principal?.kind, 'api-key');
  assert.deepEqual(v.pass && v.principal?.roles, ['invoker']);
  const viaHeader = await authn(request(fn, { headers: { 'x-api-key': key } }));
  assert.equal(viaHeader.pass, true);
});

test('no credential: BWK_E_GUARD_AUTH_REQUIRED with an auth.failed event', async () => {
  const v = await authn(request(fn));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_AUTH_REQUIRED');
  assert.equal(!v.pass && v.event?.type, 'auth.failed');
});

test('a wrong secret: BWK_E_GUARD_AUTH_INVALID naming the key id, never the secret', async () => {
  const forged = key.slice(0, -4) + (key.endsWith('AAAA') ? 'BBBB' : 'AAAA');
  const v = await authn(request(fn, { headers: { authorization: `Bearer ${forged}` } }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_AUTH_INVALID');
  const detail = JSON.stringify(!v.pass && v.event);
  assert.match(detail, new RegExp(key.split('_')[1]!));
  assert.ok(!detail.includes(forged.slice(17)), 'the secret part is not in the event');
});

test('a JWT when no JWT verifier is configured, and a key on a jwt-only route, are invalid', async () => {
  const jwtish = await authn(request(fn, { headers: { authorization: 'Bearer eyJhbGciOiJub25lIn0.e30.' } }));
  assert.equal(!jwtish.pass && jwtish.error.code, 'BWK_E_GUARD_AUTH_INVALID');
  const jwtOnly = target(manifestYaml({ auth: 'jwt' }));
  const v = await authn(request(jwtOnly, { headers: { authorization: `Bearer ${key}` } }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_AUTH_INVALID');
});

test('two different credentials at once are refused rather than guessed between', async () => {
  const other = (await createApiKey(store.keys, { role: 'admin', functions: ['*'] })).key;
  const v = await authn(request(fn, { headers: { authorization: `Bearer ${key}`, 'x-api-key': other } }));
  assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_AUTH_INVALID');
});

test('a public trigger passes anonymously without looking at credentials', async () => {
  const pub = target(manifestYaml({ auth: 'public' }));
  const v = await authn(request(pub, { headers: { authorization: 'Bearer garbage' } }));
  assert.equal(v.pass && v.principal?.kind, 'anonymous');
});

const consumer = target(manifestYaml({ subject: 'orders.created', cron: '*/5 * * * *' }));

/** A message's publisher as the publish route hands it on: no secret, no key id, only what authz needs. */
async function publisherKey(over: { expiresInDays?: number } = {}) {
  const { record } = await createApiKey(store.keys, { role: 'invoker', functions: ['*'], ...over });
  const principal: Principal = { kind: 'api-key', actor: `key:${record.id}`, roles: ['invoker'], functions: ['*'], expiresAt: record.expiresAt };
  return { id: record.id, principal };
}

test('queue: the publisher authenticated at publish time passes; a message without one is refused', async () => {
  const { id, principal: p } = await publisherKey();
  const v = await authn(queueRequest(consumer, {}, { principal: p }));
  assert.deepEqual(v.pass && v.principal, { ...p, keyId: id }, 'read again from the stored key');
  for (const principal of [undefined, anonymous, scheduler]) {
    const refused = await authn(queueRequest(consumer, {}, { principal }));
    assert.equal(!refused.pass && refused.error.code, 'BWK_E_GUARD_AUTH_REQUIRED', String(principal?.actor));
    assert.equal(!refused.pass && refused.rule, 'queue-principal');
  }
});

test('queue: a publisher whose key was revoked, has expired or is gone since publishing is refused at delivery', async () => {
  const revoked = await publisherKey();
  assert.equal((await authn(queueRequest(consumer, {}, { principal: revoked.principal }))).pass, true);
  await store.keys.revoke(revoked.id, new Date().toISOString());
  const expired = await publisherKey({ expiresInDays: 1 });
  const later = create({}, { authenticator: createAuthenticator({ keys: store.keys, now: () => new Date(Date.now() + 2 * 86_400_000) }) });
  const gone: Principal = { ...publisher, actor: 'key:NoSuchKey000' };
  for (const [principal, reason, guard] of [[revoked.principal, 'key-revoked', authn], [expired.principal, 'key-expired', later], [gone, 'key-unknown', authn]] as const) {
    const v = await guard(queueRequest(consumer, {}, { principal }));
    assert.equal(!v.pass && v.error.code, 'BWK_E_GUARD_AUTH_INVALID', reason);
    assert.equal(!v.pass && v.rule, `publisher-${reason}`);
    assert.equal(!v.pass && v.event, undefined, 'no auth.failed: the publisher\'s address is not scored for it');
  }
});

test('queue: a JWT publisher passes until its token expires; it cannot be revoked', async () => {
  const jwtPublisher = (expiresAt: string): Principal => ({ kind: 'jwt', actor: 'jwt:ada', roles: ['invoker'], functions: ['*'], expiresAt });
  const valid = jwtPublisher(new Date(Date.now() + 60_000).toISOString());
  assert.equal((await authn(queueRequest(consumer, {}, { principal: valid }))).pass, true);
  const v = await authn(queueRequest(consumer, {}, { principal: jwtPublisher(new Date(Date.now() - 1000).toISOString()) }));
  assert.deepEqual(!v.pass && [v.error.code, v.rule], ['BWK_E_GUARD_AUTH_INVALID', 'publisher-jwt-expired']);
});

test('queue: credentials in a message are never looked at (there are no headers to carry them)', async () => {
  const req = queueRequest(consumer, { authorization: `Bearer ${key}` }, { principal: undefined });
  assert.equal((await authn(req)).pass, false);
});

test('schedule: the scheduler principal passes, any other is refused', async () => {
  const v = await authn(scheduleRequest(consumer));
  assert.equal(v.pass && v.principal, scheduler);
  const forged = await authn(scheduleRequest(consumer, { principal: publisher }));
  assert.equal(!forged.pass && forged.error.code, 'BWK_E_GUARD_AUTH_REQUIRED');
});

test('invoke: a verified call token names the calling function; a bad or missing one is refused with its reason as the rule', async () => {
  const callTokens = createCallTokenIssuer({ ttlSeconds: 30, maxHops: 4, replayCacheSize: 100 });
  const withTokens = create({}, { authenticator: createAuthenticator({ keys: store.keys }), callTokens });
  const callee = target(manifestYaml({ name: 'billing' }));
  const call = (callToken?: string, principal?: Principal) =>
    request(callee, { source: 'invoke', trigger: { kind: 'invoke' }, ...(callToken === undefined ? {} : { callToken }), principal });
  const token = callTokens.sign({ caller: { function: 'checkout', version: 2 }, callee: 'billing', requestId: 'r-1', callerHop: 1 });
  const v = await withTokens(call(token));
  assert.deepEqual(v.pass && v.principal, { kind: 'function', actor: 'fn:checkout', roles: [], functions: [], caller: { function: 'checkout', version: 2, requestId: 'r-1', hop: 2 } });
  for (const [req, rule] of [[call(token), 'call-token-replayed'], [call(), 'call-token-missing'], [call(undefined, publisher), 'call-token-missing']] as const) {
    const refused = await withTokens(req);
    assert.equal(!refused.pass && refused.error.code, 'BWK_E_GUARD_AUTH_INVALID');
    assert.equal(!refused.pass && refused.rule, rule);
  }
  // Without a verifier (outside a gateway) no call is accepted.
  const fresh = callTokens.sign({ caller: { function: 'checkout', version: 2 }, callee: 'billing', requestId: 'r-1', callerHop: 0 });
  const noVerifier = await authn(call(fresh));
  assert.equal(!noVerifier.pass && noVerifier.rule, 'call-token-missing');
});
