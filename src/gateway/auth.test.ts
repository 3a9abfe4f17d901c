// Authentication and authorisation over real HTTP: a real gateway, real store, real sandboxes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, base64url } from 'jose';
import { createApiKey } from '../auth/api-keys.ts';
import { echoHandler, errorBody, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

const rsa = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const ISS = 'https://idp.example';
const AUD = 'bulwark-tests';

function jwt(alg: string, key: CryptoKey | Uint8Array, claims: Record<string, unknown> = {}, o: { kid?: string; iss?: string; aud?: string; exp?: number | string } = {}) {
  return new SignJWT({ roles: ['invoker'], functions: ['orders'], ...claims })
    .setProtectedHeader({ alg, kid: o.kid ?? (alg === 'ES256' ? 'ec-1' : 'rsa-1') })
    .setSubject('alice').setIssuer(o.iss ?? ISS).setAudience(o.aud ?? AUD).setIssuedAt()
    .setExpirationTime(o.exp ?? '5m').sign(key);
}

let tp: TestPlatform;
before(async () => {
  tp = await startTestPlatform({
    // These tests read back what a function received by having it echo its event, forwarded credentials
    // included; the DLP filter would rightly withhold such answers (test/acceptance/dlp.test.ts covers it).
    overrides: { dlp: { responses: 'off' }, auth: { jwt: { issuer: ISS, audience: AUD, algorithms: ['RS256', 'ES256'], jwksFile: 'jwks.json', rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 0 } } },
    prepareHome: async (home) => {
      const keys = [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256' }];
      writeFileSync(join(home, 'jwks.json'), JSON.stringify({ keys }));
    },
  });
  for (const [name, trigger] of [['orders', '{ method: ANY, path: / }'], ['billing', '{ method: ANY, path: / }'], ['open', '{ method: GET, path: /, auth: public }']] as const) {
    const res = await tp.deployFiles({ 'bulwark.yaml': manifest(name, [trigger]), 'index.mjs': echoHandler });
    assert.equal(res.status, 201, res.text);
  }
});
after(() => tp.close());

function lastEvent(type: string, requestId: string) {
  return tp.events.find((e) => e.type === type && e.requestId === requestId);
}

test('no key → 401 BWK_E_GUARD_AUTH_REQUIRED, and an auth.failed event with the source IP', async () => {
  const res = await tp.fetch('/fn/orders');
  assert.equal(res.status, 401);
  const err = await errorBody(res);
  assert.equal(err.code, 'BWK_E_GUARD_AUTH_REQUIRED');
  const ev = lastEvent('auth.failed', err.requestId);
  assert.equal(ev?.sourceIp, '127.0.0.1');
  assert.equal(ev?.function, 'orders');
});

test('wrong key → 401; the event names the key id, never the secret', async () => {
  const { key, id } = await tp.createKey({ role: 'invoker', functions: ['orders'] });
  const secret = key.slice(`bwk_${id}_`.length);
  const forged = `bwk_${id}_${secret.startsWith('A') ? 'B' : 'A'}${secret.slice(1)}`;
  const res = await tp.fetch('/fn/orders', { key: forged });
  assert.equal(res.status, 401);
  const err = await errorBody(res, [secret, forged.slice(18)]);
  assert.equal(err.code, 'BWK_E_GUARD_AUTH_INVALID');
  const ev = lastEvent('auth.failed', err.requestId);
  assert.equal(ev?.detail?.keyId, id);
  assert.ok(!JSON.stringify(ev).includes(forged.slice(18)));
  const garbage = await tp.fetch('/fn/orders', { headers: { 'x-api-key': 'bwk_nonsense' } });
  assert.equal(garbage.status, 401);
});

test('a valid key → 200; the same key once revoked → 401', async () => {
  const { key, id } = await tp.createKey({ role: 'invoker', functions: ['orders'] });
  assert.equal((await tp.fetch('/fn/orders', { key })).status, 200);
  const del = await tp.fetch(`/admin/v1/keys/${id}`, { method: 'DELETE', key: tp.adminKey });
  assert.deepEqual(await del.json(), { revoked: true });
  const res = await tp.fetch('/fn/orders', { key });
  assert.equal(res.status, 401);
  assert.equal((await errorBody(res)).code, 'BWK_E_GUARD_AUTH_INVALID');
  assert.ok(tp.events.some((e) => e.type === 'key.revoked' && e.detail?.keyId === id));
});

test('an expired key → 401', async () => {
  const { key } = await createApiKey(tp.platform.store.keys, { role: 'invoker', functions: ['*'], expiresInDays: 1 }, new Date(Date.now() - 2 * 86_400_000));
  const res = await tp.fetch('/fn/orders', { key });
  assert.equal(res.status, 401);
  assert.equal((await errorBody(res, [key])).code, 'BWK_E_GUARD_AUTH_INVALID');
});

test('a key scoped to another function → 403 and an authz.denied event', async () => {
  const { key } = await tp.createKey({ role: 'invoker', functions: ['billing'] });
  assert.equal((await tp.fetch('/fn/billing', { key })).status, 200);
  const res = await tp.fetch('/fn/orders', { key });
  assert.equal(res.status, 403);
  const err = await errorBody(res, [key]);
  assert.equal(err.code, 'BWK_E_GUARD_FORBIDDEN');
  assert.equal(lastEvent('authz.denied', err.requestId)?.function, 'orders');
});

test('a viewer key cannot deploy or invoke → 403; a deployer cannot deploy outside its scope', async () => {
  const viewer = await tp.createKey({ role: 'viewer', functions: ['*'] });
  const res = await tp.deployFiles({ 'bulwark.yaml': manifest('orders', ['{ method: ANY, path: / }']), 'index.mjs': echoHandler }, viewer.key);
  assert.equal(res.status, 403);
  const err = await errorBody(res, [viewer.key]);
  assert.equal(err.code, 'BWK_E_GUARD_FORBIDDEN');
  assert.ok(lastEvent('authz.denied', err.requestId));
  assert.equal((await tp.fetch('/fn/orders', { key: viewer.key })).status, 403);
  assert.equal((await tp.fetch('/admin/v1/functions', { key: viewer.key })).status, 200);

  const deployer = await tp.createKey({ role: 'deployer', functions: ['billing'] });
  const other = await tp.deployFiles({ 'bulwark.yaml': manifest('orders', ['{ method: ANY, path: / }']), 'index.mjs': echoHandler }, deployer.key);
  assert.equal(other.status, 403);
  assert.match((await errorBody(other)).message, /deploy orders/);
});

test('an invoker cannot list or create keys → 403', async () => {
  const { key } = await tp.createKey({ role: 'invoker', functions: ['*'] });
  const list = await tp.fetch('/admin/v1/keys', { key });
  assert.equal(list.status, 403);
  assert.equal((await errorBody(list, [key])).code, 'BWK_E_GUARD_FORBIDDEN');
  const create = await tp.fetch('/admin/v1/keys', { key, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ role: 'admin', functions: ['*'] }) });
  assert.equal(create.status, 403);
});

test('the admin API refuses unauthenticated calls before reading the body', async () => {
  const res = await tp.fetch('/admin/v1/functions', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{not json' });
  assert.equal(res.status, 401, 'auth first: a malformed body from an anonymous caller is not even parsed');
  const err = await errorBody(res);
  assert.equal(lastEvent('auth.failed', err.requestId)?.detail?.surface, 'admin');
});

test('a public trigger answers without credentials', async () => {
  assert.equal((await tp.fetch('/fn/open')).status, 200);
});

test('valid RS256 and ES256 JWTs from the JWKS file → 200', async () => {
  for (const t of [await jwt('RS256', rsa.privateKey), await jwt('ES256', ec.privateKey)]) {
    const res = await tp.fetch('/fn/orders', { key: t });
    assert.equal(res.status, 200, await res.clone().text());
    const event = await res.json() as { requestContext: { authorizer: { jwt: { claims: { sub: string } } } }; headers: Record<string, string> };
    assert.equal(event.requestContext.authorizer.jwt.claims.sub, 'alice');
    assert.equal(event.headers.authorization, undefined, 'the caller credential is not forwarded to the function');
  }
});

test('JWT refusals: expired, wrong audience, wrong issuer, alg none, HS256 keyed with the RSA public key → 401', async () => {
  const past = Math.floor(Date.now() / 1000) - 60;
  const pem = new TextEncoder().encode(await exportSPKI(rsa.publicKey));
  const noneToken = `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ sub: 'm', roles: ['admin'], functions: ['*'], iss: ISS, aud: AUD, exp: past + 600 }))}.`;
  const cases: Array<[string, string]> = [
    ['expired', await jwt('RS256', rsa.privateKey, {}, { exp: past })],
    ['audience', await jwt('RS256', rsa.privateKey, {}, { aud: 'other' })],
    ['issuer', await jwt('RS256', rsa.privateKey, {}, { iss: 'https://evil.example' })],
    ['alg none', noneToken],
    ['alg confusion', await jwt('HS256', pem, { roles: ['admin'], functions: ['*'] })],
  ];
  for (const [what, t] of cases) {
    const res = await tp.fetch('/fn/orders', { key: t });
    assert.equal(res.status, 401, what);
    const err = await errorBody(res, [t]);
    assert.equal(err.code, 'BWK_E_GUARD_AUTH_INVALID', what);
    assert.ok(lastEvent('auth.failed', err.requestId), what);
  }
  const admin = await tp.fetch('/admin/v1/keys', { key: cases[4]![1] });
  assert.equal(admin.status, 401, 'the forged admin token does not open the admin API either');
});

test('a JWT without roles is denied (default deny); a JWT with the admin role may use the admin API', async () => {
  const noRoles = await jwt('RS256', rsa.privateKey, { roles: undefined });
  assert.equal((await tp.fetch('/fn/orders', { key: noRoles })).status, 403);
  const admin = await jwt('ES256', ec.privateKey, { roles: ['admin'], functions: ['*'] });
  assert.equal((await tp.fetch('/admin/v1/keys', { key: admin })).status, 200);
});

test('a key never outlives its creator: capped at an expiring admin key or JWT, and no never-expiring key from either', async () => {
  const post = (key: string, body: unknown) => tp.request('POST', '/admin/v1/keys', { key, body });
  const shortAdmin = await tp.createKey({ role: 'admin', functions: ['*'], expiresInDays: 1 });
  const creatorExpiry = ((await tp.request('GET', '/admin/v1/keys', { key: tp.adminKey })).json.keys as Array<{ id: string; expiresAt: string }>)
    .find((k) => k.id === shortAdmin.id)!.expiresAt;
  const long = await post(shortAdmin.key, { role: 'deployer', functions: ['orders'], expiresInDays: 3650 });
  assert.equal(long.status, 201, long.text);
  tp.secrets.push(long.json.key);
  assert.equal(long.json.expiresAt, creatorExpiry, 'cut to the creator key expiry');
  const shorter = await post(shortAdmin.key, { role: 'invoker', functions: ['orders'], expiresInDays: 1 });
  assert.equal(shorter.status, 201);
  tp.secrets.push(shorter.json.key);
  assert.ok(Date.parse(shorter.json.expiresAt) <= Date.parse(creatorExpiry));
  const forever = await post(shortAdmin.key, { role: 'deployer', functions: ['orders'] });
  assert.equal((await errorBody(forever, [shortAdmin.key])).code, 'BWK_E_GUARD_FORBIDDEN');
  assert.equal(forever.status, 403);
  await tp.expectEvent('authz.denied', forever.requestId);

  const exp = Math.floor(Date.now() / 1000) + 300;
  const adminJwt = await jwt('ES256', ec.privateKey, { roles: ['admin'], functions: ['*'] }, { exp });
  const fromJwt = await post(adminJwt, { role: 'deployer', functions: ['orders'], expiresInDays: 3650 });
  assert.equal(fromJwt.status, 201, fromJwt.text);
  tp.secrets.push(fromJwt.json.key);
  assert.equal(fromJwt.json.expiresAt, new Date(exp * 1000).toISOString(), 'cut to the token exp');
  assert.equal((await post(adminJwt, { role: 'deployer', functions: ['orders'] })).status, 403, 'a JWT admin cannot mint a never-expiring key');
  // The bootstrap admin key does not expire, so it may still create keys that do not.
  const unbounded = await post(tp.adminKey, { role: 'viewer', functions: ['orders'] });
  assert.equal(unbounded.status, 201);
  tp.secrets.push(unbounded.json.key);
  assert.equal(unbounded.json.expiresAt, null);
});

test('a bearer JWT from the configured issuer never reaches a function, even a public one; other bearer tokens do', async () => {
  const valid = await jwt('RS256', rsa.privateKey, { roles: ['admin'], functions: ['*'] });
  const expired = await jwt('RS256', rsa.privateKey, {}, { exp: Math.floor(Date.now() / 1000) - 60 });
  const forged = `${base64url.encode('{"alg":"none"}')}.${base64url.encode(JSON.stringify({ iss: ISS, sub: 'x' }))}.`;
  for (const token of [valid, expired, forged]) {
    for (const scheme of ['Bearer', 'bearer']) {
      const res = await tp.request('GET', '/fn/open', { headers: { authorization: `${scheme} ${token}` } });
      assert.equal(res.status, 200, res.text);
      assert.equal(res.json.headers.authorization, undefined, 'a token the gateway would accept is stripped');
      assert.ok(!res.text.includes(token), 'nowhere in the event');
    }
  }
  // The function's own identity provider and other schemes are the function's business: passed through.
  const own = await jwt('RS256', rsa.privateKey, {}, { iss: 'https://functions-own-idp.example' });
  for (const value of [`Bearer ${own}`, 'Bearer opaque-session-token', 'Basic dXNlcjpwYXNz']) {
    const res = await tp.request('GET', '/fn/open', { headers: { authorization: value } });
    assert.equal(res.json.headers.authorization, value);
  }
});

test('the log file has the request id with detail, and never the Authorization header value', async () => {
  const { key } = await tp.createKey({ role: 'invoker', functions: ['billing'] });
  const res = await tp.fetch('/fn/orders', { key });
  const err = await errorBody(res);
  const ok = await tp.fetch('/fn/orders', { key: tp.adminKey });
  const okId = ok.headers.get('x-request-id')!;
  await tp.platform.close();
  const log = readFileSync(join(tp.home, 'logs', 'gateway.log'), 'utf8');
  const lines = log.split('\n').filter((l) => l.includes(err.requestId));
  assert.ok(lines.some((l) => l.includes('BWK_E_GUARD_FORBIDDEN')), 'the denial is logged under its request id');
  assert.ok(log.includes(okId));
  for (const secret of [key, key.split('_').slice(2).join('_'), tp.adminKey, tp.adminKey.split('_').slice(2).join('_')]) {
    assert.ok(!log.includes(secret), 'no key secret in the log');
  }
});

test('a valid HS256 JWT (secret file, mode 0600) → 200; a group-readable secret file stops the gateway from starting', async () => {
  const secret = 'hs256-test-secret-'.padEnd(48, 'z');
  const hs = await startTestPlatform({
    overrides: { auth: { jwt: { issuer: ISS, audience: AUD, algorithms: ['HS256'], hs256SecretFile: 'jwt.secret', rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 0 } } },
    prepareHome: (home) => writeFileSync(join(home, 'jwt.secret'), secret, { mode: 0o600 }),
  });
  try {
    assert.equal((await hs.deployFiles({ 'bulwark.yaml': manifest('orders', ['{ method: ANY, path: / }']), 'index.mjs': echoHandler })).status, 201);
    const t = await new SignJWT({ roles: ['invoker'], functions: ['orders'] }).setProtectedHeader({ alg: 'HS256' })
      .setIssuer(ISS).setAudience(AUD).setExpirationTime('5m').sign(new TextEncoder().encode(secret));
    assert.equal((await hs.fetch('/fn/orders', { key: t })).status, 200);
    const rs = await jwt('RS256', rsa.privateKey);
    assert.equal((await hs.fetch('/fn/orders', { key: rs })).status, 401);
  } finally {
    await hs.close();
  }
  await assert.rejects(
    startTestPlatform({
      overrides: { auth: { jwt: { issuer: ISS, audience: AUD, algorithms: ['HS256'], hs256SecretFile: 'jwt.secret', rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 0 } } },
      prepareHome: (home) => writeFileSync(join(home, 'jwt.secret'), secret, { mode: 0o640 }),
    }),
    (e: unknown) => (e as { code?: string }).code === 'BWK_E_CONFIG_INVALID',
  );
});
