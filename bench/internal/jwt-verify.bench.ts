// Cost of one JWT verification through createJwtVerifier, per algorithm (not a test; run by hand):
//   node bench/internal/jwt-verify.bench.ts
// Prints verifications per second for HS256, RS256 and ES256 on this machine.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { createJwtVerifier, type JwtVerifier } from '../../src/auth/jwt.ts';

const home = mkdtempSync(join(tmpdir(), 'bwk-jwt-bench-'));
try {
  const base = { issuer: 'https://idp.example', audience: 'bulwark', rolesClaim: 'roles', functionsClaim: 'functions', clockToleranceSec: 5 };
  const secret = 's'.repeat(48);
  writeFileSync(join(home, 'hs.secret'), secret, { mode: 0o600 });
  const rsa = await generateKeyPair('RS256');
  const ec = await generateKeyPair('ES256');
  const keys = [{ ...(await exportJWK(rsa.publicKey)), kid: 'r', alg: 'RS256' }, { ...(await exportJWK(ec.publicKey)), kid: 'e', alg: 'ES256' }];
  writeFileSync(join(home, 'jwks.json'), JSON.stringify({ keys }));
  const sign = (alg: string, kid: string | undefined, key: CryptoKey | Uint8Array) => new SignJWT({ roles: ['invoker'], functions: ['hello'] })
    .setProtectedHeader(kid ? { alg, kid } : { alg }).setSubject('bench').setIssuer(base.issuer).setAudience(base.audience)
    .setExpirationTime('1h').sign(key);

  const cases: Array<[string, JwtVerifier, string]> = [
    ['HS256', createJwtVerifier({ ...base, algorithms: ['HS256'], hs256SecretFile: 'hs.secret' }, home), await sign('HS256', undefined, new TextEncoder().encode(secret))],
    ['RS256', createJwtVerifier({ ...base, algorithms: ['RS256'], jwksFile: 'jwks.json' }, home), await sign('RS256', 'r', rsa.privateKey)],
    ['ES256', createJwtVerifier({ ...base, algorithms: ['ES256'], jwksFile: 'jwks.json' }, home), await sign('ES256', 'e', ec.privateKey)],
  ];
  console.log(`node ${process.version}, ${process.platform}/${process.arch}, ${cpus()[0]?.model ?? 'cpu'} x${cpus().length}`);
  for (const [alg, verifier, token] of cases) {
    for (let i = 0; i < 500; i++) await verifier.verify(token); // warm-up
    let n = 0;
    const start = performance.now();
    while (performance.now() - start < 1500) {
      const r = await verifier.verify(token);
      if (!r.ok) throw new Error(`${alg} token did not verify: ${r.reason}`);
      n++;
    }
    const secs = (performance.now() - start) / 1000;
    console.log(`${alg}: ${Math.round(n / secs).toLocaleString('en')} verifications/s (${((secs / n) * 1e6).toFixed(1)} µs each)`);
  }
} finally {
  rmSync(home, { recursive: true, force: true });
}
