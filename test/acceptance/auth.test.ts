// Acceptance: deploy the examples and call them over HTTP. Default deny — no credential, a key scoped to
// another function, a role that may not deploy, an expired JWT — each refused with its exact status and
// BWK_E_* code, a security event, a log line under the same request id, and nothing leaked.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { SignJWT } from 'jose';
import { assertError, assertNoLeak, examplesDir, startTestPlatform, type TestPlatform } from '../support/platform.ts';

const ISSUER = 'https://idp.bulwark.test';
const AUDIENCE = 'bulwark-acceptance';
const jwtSecret = randomBytes(48).toString('base64url');

function jwt(claims: Record<string, unknown>, expiresAt: number): Promise<string> {
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(ISSUER)
    .setAudience(AUDIENCE)
    .setSubject('acceptance-user')
    .setIssuedAt(expiresAt - 600)
    .setExpirationTime(expiresAt)
    .sign(new TextEncoder().encode(jwtSecret));
}

describe('auth: default deny over real HTTP', () => {
  let p: TestPlatform;
  let helloKey: string;
  let jsonKey: string;
  let allKey: string;

  before(async () => {
    // JWT verification configured the way an operator does it: config.yaml in the home, and the HS256
    // secret in a file only the owner can read (the gateway refuses a group/world-readable one).
    p = await startTestPlatform({
      prepareHome: async (home) => {
        await writeFile(join(home, 'jwt.secret'), jwtSecret, { mode: 0o600 });
        await writeFile(join(home, 'config.yaml'), [
          'auth:',
          '  jwt:',
          `    issuer: ${ISSUER}`,
          `    audience: ${AUDIENCE}`,
          '    algorithms: [HS256]',
          '    hs256SecretFile: jwt.secret',
          '',
        ].join('\n'));
      },
    });
    p.secrets.push(jwtSecret);
    for (const ex of ['hello', 'json-api', 'lambda-cjs', 'web-fetch', 'fetch-egress']) {
      const d = await p.deploy(join(examplesDir, ex));
      assert.equal(d.name, ex);
      assert.equal(d.version, 1);
    }
    helloKey = (await p.createKey({ role: 'invoker', functions: ['hello'], label: 'hello-only' })).key;
    jsonKey = (await p.createKey({ role: 'invoker', functions: ['json-api'], label: 'json-only' })).key;
    allKey = (await p.createKey({ role: 'invoker', functions: ['*'] })).key;
  });

  after(() => p?.close());

  test('a valid invoker key gets 200 and the output of each example', async () => {
    const hello = await p.request('GET', '/fn/hello?name=Ada', { key: helloKey });
    assert.equal(hello.status, 200, hello.text);
    assert.equal(hello.json.message, 'Hello, Ada!');
    assert.equal(hello.json.requestId, hello.requestId, 'the handler saw the gateway request id');

    const quote = await p.request('POST', '/fn/json-api/quote', {
      key: jsonKey,
      body: { currency: 'EUR', items: [{ sku: 'A-1', quantity: 2, unitPrice: 60 }] },
    });
    assert.equal(quote.status, 200, quote.text);
    assert.deepEqual({ subtotal: quote.json.subtotal, discount: quote.json.discount, total: quote.json.total }, { subtotal: 120, discount: 6, total: 114 });

    const user = await p.request('GET', '/fn/lambda-cjs/users/1', { key: allKey });
    assert.equal(user.status, 200, user.text);
    assert.equal(user.json.user.name, 'Ada Lovelace');
    assert.equal(user.json.method, 'GET');

    const echo = await p.request('POST', '/fn/web-fetch/echo', { key: allKey, body: 'shout', headers: { 'content-type': 'text/plain' } });
    assert.equal(echo.status, 200, echo.text);
    assert.deepEqual(echo.json, { method: 'POST', path: '/echo', echo: 'SHOUT' });

    // Input that does not match the schema never reaches the handler.
    const bad = await p.request('POST', '/fn/json-api/quote', { key: jsonKey, body: { items: 'none' } });
    assertError(bad, 400, 'BWK_E_GUARD_INPUT_INVALID', p.secrets);
  });

  test('no credential → 401 BWK_E_GUARD_AUTH_REQUIRED', async () => {
    const answer = await p.request('GET', '/fn/hello');
    assertError(answer, 401, 'BWK_E_GUARD_AUTH_REQUIRED', p.secrets);
    const e = await p.expectEvent('auth.failed', answer.requestId);
    assert.equal(e.function, 'hello');
    await p.expectLog([answer.requestId]);
  });

  test('an unknown or malformed key → 401 BWK_E_GUARD_AUTH_INVALID, the presented secret not echoed', async () => {
    const forged = `bwk_AAAAAAAAAAAA_${randomBytes(32).toString('base64url')}`;
    const answer = await p.request('GET', '/fn/hello', { key: forged });
    assertError(answer, 401, 'BWK_E_GUARD_AUTH_INVALID', [...p.secrets, forged.slice(18)]);
    const e = await p.expectEvent('auth.failed', answer.requestId);
    assertNoLeak(JSON.stringify(e), [forged.slice(18)], 'security event');
    const log = await p.expectLog([answer.requestId]);
    assert.ok(!log.includes(forged.slice(18)), 'the presented secret is not in the log');
  });

  test('a key scoped to another function → 403 BWK_E_GUARD_FORBIDDEN', async () => {
    const answer = await p.request('GET', '/fn/hello', { key: jsonKey });
    assertError(answer, 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    const e = await p.expectEvent('authz.denied', answer.requestId);
    assert.equal(e.function, 'hello');
    assert.match(String(e.actor), /^key:[A-Za-z0-9]{12}$/);
    await p.expectLog([answer.requestId]);
  });

  test('a viewer key cannot deploy → 403 BWK_E_GUARD_FORBIDDEN and nothing is stored', async () => {
    const viewer = await p.createKey({ role: 'viewer', functions: ['*'], label: 'viewer' });
    const before = await p.versions('hello');
    const answer = await p.deployRaw(join(examplesDir, 'hello'), viewer.key);
    assertError(answer, 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    const e = await p.expectEvent('authz.denied', answer.requestId);
    assert.equal((e.detail as { action?: string }).action, 'deploy');
    assert.deepEqual(await p.versions('hello'), before);
    await p.expectLog([answer.requestId]);

    // An invoker may call but not deploy either; a revoked key is refused outright.
    const invoker = await p.createKey({ role: 'invoker', functions: ['hello'] });
    assertError(await p.deployRaw(join(examplesDir, 'hello'), invoker.key), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
    const revoke = await p.request('DELETE', `/admin/v1/keys/${invoker.id}`, { key: p.adminKey });
    assert.equal(revoke.status, 200, revoke.text);
    assertError(await p.request('GET', '/fn/hello', { key: invoker.key }), 401, 'BWK_E_GUARD_AUTH_INVALID', p.secrets);
  });

  test('a valid JWT → 200; an expired one → 401 BWK_E_GUARD_AUTH_INVALID', async () => {
    const now = Math.floor(Date.now() / 1000);
    const valid = await jwt({ roles: ['invoker'], functions: ['hello'] }, now + 300);
    p.secrets.push(valid);
    const ok = await p.request('GET', '/fn/hello?name=Jwt', { key: valid });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.json.message, 'Hello, Jwt!');

    const expired = await jwt({ roles: ['invoker'], functions: ['hello'] }, now - 3600);
    p.secrets.push(expired);
    const answer = await p.request('GET', '/fn/hello', { key: expired });
    assertError(answer, 401, 'BWK_E_GUARD_AUTH_INVALID', p.secrets);
    const e = await p.expectEvent('auth.failed', answer.requestId);
    assert.match(String((e.detail as { reason?: string }).reason), /expired/);
    const log = await p.expectLog([answer.requestId]);
    assert.ok(!log.includes(expired), 'the token is not in the log');

    // Scope applies to JWTs as to keys.
    const other = await jwt({ roles: ['invoker'], functions: ['json-api'] }, now + 300);
    p.secrets.push(other);
    assertError(await p.request('GET', '/fn/hello', { key: other }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
  });
});
