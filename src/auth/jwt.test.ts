import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, exportSPKI, generateKeyPair, base64url } from 'jose';
import type { JwtConfig } from '../config.ts';
import { isBulwarkError } from '../errors.ts';
import { createJwtVerifier } from './jwt.ts';

const home = mkdtempSync(join(tmpdir(), 'bwk-jwt-'));
after(() => rmSync(home, { recursive: true, force: true }));

const rsa = await generateKeyPair('RS256', { extractable: true });
const ec = await generateKeyPair('ES256', { extractable: true });
const jwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256', use: 'sig' }, { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', alg: 'ES256', use: 'sig' }] };
writeFileSync(join(home, 'jwks.json'), JSON.stringify(jwks));
const hsSecret = 'x'.repeat(48);
writeFileSync(join(home, 'hs.secret'), hsSecret + '\n', { mode: 0o600 });
chmodSync(join(home, 'hs.secret'), 0o600);

const base = { issuer: 'https://idp.example', audience: 'bulwark', rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 5 };
const jwksCfg: JwtConfig = { ...base, algorithms: ['RS256', 'ES256'], jwksFile: 'jwks.json' };
const hsCfg: JwtConfig = { ...base, algorithms: ['HS256'], hs256SecretFile: 'hs.secret' };

type Claims = Record<string, unknown>;
function token(alg: string, key: CryptoKey | Uint8Array, claims: Claims = {}, opts: { kid?: string; iss?: string; aud?: string; exp?: number | string } = {}) {
  return new SignJWT({ roles: ['invoker'], functions: ['hello'], ...claims })
    .setProtectedHeader({ alg, ...(opts.kid ? { kid: opts.kid } : {}) })
    .setSubject('alice')
    .setIssuer(opts.iss ?? base.issuer)
    .setAudience(opts.aud ?? base.audience)
    .setIssuedAt()
    .setExpirationTime(opts.exp ?? '5m')
    .sign(key);
}

test('valid RS256, ES256 (JWKS file) and HS256 (secret file) tokens give roles and functions from claims', async () => {
  const v = createJwtVerifier(jwksCfg, home);
  for (const t of [await token('RS256', rsa.privateKey, {}, { kid: 'rsa-1' }), await token('ES256', ec.privateKey, {}, { kid: 'ec-1' })]) {
    const r = await v.verify(t);
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.principal.actor, 'jwt:alice');
    assert.deepEqual(r.principal.roles, ['invoker']);
    assert.deepEqual(r.principal.functions, ['hello']);
  }
  const hs = createJwtVerifier(hsCfg, home);
  const r = await hs.verify(await token('HS256', new TextEncoder().encode(hsSecret)));
  assert.ok(r.ok, JSON.stringify(r));
});

test('expired, wrong audience, wrong issuer and missing exp are refused', async () => {
  const v = createJwtVerifier(jwksCfg, home);
  const sign = (opts: Parameters<typeof token>[3]) => token('RS256', rsa.privateKey, {}, { kid: 'rsa-1', ...opts });
  assert.deepEqual(await v.verify(await sign({ exp: Math.floor(Date.now() / 1000) - 60 })), { ok: false, reason: 'expired' });
  assert.deepEqual(await v.verify(await sign({ aud: 'someone-else' })), { ok: false, reason: 'claim:aud' });
  assert.deepEqual(await v.verify(await sign({ iss: 'https://evil.example' })), { ok: false, reason: 'claim:iss' });
  const noExp = await new SignJWT({ roles: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' })
    .setIssuer(base.issuer).setAudience(base.audience).sign(rsa.privateKey);
  assert.deepEqual(await v.verify(noExp), { ok: false, reason: 'claim:exp' });
});

test('clock tolerance: a token expired 3s ago passes with 5s tolerance', async () => {
  const v = createJwtVerifier(jwksCfg, home);
  const t = await token('RS256', rsa.privateKey, {}, { kid: 'rsa-1', exp: Math.floor(Date.now() / 1000) - 3 });
  assert.equal((await v.verify(t)).ok, true);
});

test('alg none is refused', async () => {
  const claims = { sub: 'mallory', roles: ['admin'], functions: ['*'], iss: base.issuer, aud: base.audience, exp: Math.floor(Date.now() / 1000) + 300 };
  const none = `${base64url.encode(JSON.stringify({ alg: 'none' }))}.${base64url.encode(JSON.stringify(claims))}.`;
  for (const cfg of [jwksCfg, hsCfg]) {
    const r = await createJwtVerifier(cfg, home).verify(none);
    assert.equal(r.ok, false);
  }
});

test('HS-vs-RS confusion: an HS256 token keyed with the RSA public key is refused, even if HS256 is configured', async () => {
  const pem = await exportSPKI(rsa.publicKey);
  const forged = await token('HS256', new TextEncoder().encode(pem), { roles: ['admin'], functions: ['*'] }, { kid: 'rsa-1' });
  const v = createJwtVerifier({ ...jwksCfg, algorithms: ['RS256', 'HS256'] }, home);
  assert.deepEqual(v.algorithms, ['RS256'], 'HS256 is dropped for a JWKS key source');
  assert.deepEqual(await v.verify(forged), { ok: false, reason: 'alg-not-allowed' });
});

test('an RS256 token is refused when only HS256 is configured, and vice versa', async () => {
  const hs = createJwtVerifier(hsCfg, home);
  assert.equal((await hs.verify(await token('RS256', rsa.privateKey, {}, { kid: 'rsa-1' }))).ok, false);
  const rs = createJwtVerifier({ ...jwksCfg, algorithms: ['RS256'] }, home);
  assert.deepEqual(await rs.verify(await token('ES256', ec.privateKey, {}, { kid: 'ec-1' })), { ok: false, reason: 'alg-not-allowed' });
});

test('a token signed by another key is refused', async () => {
  const other = await generateKeyPair('RS256');
  const r = await createJwtVerifier(jwksCfg, home).verify(await token('RS256', other.privateKey, {}, { kid: 'rsa-1' }));
  assert.deepEqual(r, { ok: false, reason: 'bad-signature' });
});

test('missing roles or functions claims grant nothing (default deny); custom claim names are read', async () => {
  const v = createJwtVerifier(jwksCfg, home);
  const t = await new SignJWT({}).setProtectedHeader({ alg: 'RS256', kid: 'rsa-1' }).setIssuer(base.issuer)
    .setAudience(base.audience).setExpirationTime('5m').sign(rsa.privateKey);
  const r = await v.verify(t);
  assert.ok(r.ok);
  assert.deepEqual(r.principal.roles, []);
  assert.deepEqual(r.principal.functions, []);
  const custom = createJwtVerifier({ ...jwksCfg, rolesClaim: 'https://bulwark/roles', functionsClaim: 'fns' }, home);
  const c = await custom.verify(await token('RS256', rsa.privateKey, { 'https://bulwark/roles': ['deployer', 'superuser'], fns: 'orders' }, { kid: 'rsa-1' }));
  assert.ok(c.ok);
  assert.deepEqual(c.principal.roles, ['deployer'], 'unknown role names are ignored');
  assert.deepEqual(c.principal.functions, ['orders']);
});

test('an HS256 secret file readable by group or others, or too short, is a config error', () => {
  writeFileSync(join(home, 'open.secret'), 'y'.repeat(48));
  chmodSync(join(home, 'open.secret'), 0o644);
  assert.throws(() => createJwtVerifier({ ...hsCfg, hs256SecretFile: 'open.secret' }, home), (e) => isBulwarkError(e) && e.code === 'BWK_E_CONFIG_INVALID' && /chmod 600/.test(e.message));
  writeFileSync(join(home, 'short.secret'), 'short', { mode: 0o600 });
  assert.throws(() => createJwtVerifier({ ...hsCfg, hs256SecretFile: 'short.secret' }, home), (e) => isBulwarkError(e) && e.code === 'BWK_E_CONFIG_INVALID');
});

test('a remote JWKS URL is fetched and used', async () => {
  const server = createServer((_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify(jwks));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/jwks.json`;
    const v = createJwtVerifier({ ...base, algorithms: ['ES256'], jwksUrl: url }, home);
    const r = await v.verify(await token('ES256', ec.privateKey, {}, { kid: 'ec-1' }));
    assert.ok(r.ok, JSON.stringify(r));
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
});
