// JWT verification with jose. The accepted algorithms are pinned from config and narrowed to the ones
// the configured key source can serve: an HS256 secret verifies HS256 only, a JWKS verifies RS256/ES256
// only. That closes the classic alg-confusion attack (an RS public key replayed as an HMAC secret)
// and jose never accepts alg "none" for a signed-JWT verify.
//
// Roles and function scope come from configurable claims. Missing or malformed claims grant nothing:
// a token without a roles claim authenticates but is then denied by authz (default deny).

import { readFileSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, decodeJwt, jwtVerify, type JWTVerifyGetKey, type JSONWebKeySet } from 'jose';
import { BulwarkError } from '../errors.ts';
import type { JwtConfig } from '../config.ts';
import { isRole, type Role } from './roles.ts';
import type { Principal } from './principal.ts';

type Algorithm = JwtConfig['algorithms'][number];

export type JwtCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: string };

export interface JwtVerifier {
  readonly algorithms: readonly Algorithm[];
  verify(token: string): Promise<JwtCheck>;
}

const ASYMMETRIC: readonly Algorithm[] = ['RS256', 'ES256'];
const JWKS_TIMEOUT_MS = 5_000;
const MIN_HS256_SECRET_BYTES = 32;

function configError(msg: string): BulwarkError {
  return new BulwarkError('BWK_E_CONFIG_INVALID', [`auth.jwt: ${msg}`]);
}

/** Reads the HS256 secret, refusing a file other local users could read. */
function readHs256Secret(path: string): Uint8Array {
  let mode: number;
  try {
    mode = statSync(path).mode;
  } catch {
    throw configError(`hs256SecretFile ${path} cannot be read`);
  }
  if ((mode & 0o077) !== 0) throw configError(`hs256SecretFile ${path} must not be readable by group or others (chmod 600)`);
  // Trailing newlines come from editors and `echo`; they are not part of the secret.
  const secret = readFileSync(path, 'utf8').replace(/[\r\n]+$/, '');
  if (Buffer.byteLength(secret) < MIN_HS256_SECRET_BYTES) throw configError(`hs256SecretFile must hold at least ${MIN_HS256_SECRET_BYTES} bytes`);
  return new TextEncoder().encode(secret);
}

function keySource(cfg: JwtConfig, home: string): { key: Uint8Array | JWTVerifyGetKey; algorithms: Algorithm[] } {
  if (cfg.hs256SecretFile) {
    const algorithms = cfg.algorithms.filter((a) => a === 'HS256');
    if (algorithms.length === 0) throw configError('hs256SecretFile needs "HS256" in algorithms');
    return { key: readHs256Secret(resolve(home, cfg.hs256SecretFile)), algorithms };
  }
  const algorithms = cfg.algorithms.filter((a) => ASYMMETRIC.includes(a));
  if (algorithms.length === 0) throw configError('a JWKS verifies RS256 or ES256 only; list one of them in algorithms');
  if (cfg.jwksFile) {
    let jwks: JSONWebKeySet;
    try {
      jwks = JSON.parse(readFileSync(resolve(home, cfg.jwksFile), 'utf8')) as JSONWebKeySet;
    } catch {
      throw configError(`jwksFile ${cfg.jwksFile} is not a readable JSON Web Key Set`);
    }
    return { key: createLocalJWKSet(jwks), algorithms };
  }
  if (cfg.jwksUrl) {
    return { key: createRemoteJWKSet(new URL(cfg.jwksUrl), { timeoutDuration: JWKS_TIMEOUT_MS }), algorithms };
  }
  throw configError('one of jwksFile, jwksUrl or hs256SecretFile is required');
}

function stringList(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return [];
}

/** jose error codes mapped to a short reason for the log and the auth.failed event. */
function failureReason(err: unknown): string {
  const code = (err as { code?: unknown }).code;
  switch (code) {
    case 'ERR_JWT_EXPIRED': return 'expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': return `claim:${String((err as { claim?: unknown }).claim)}`;
    case 'ERR_JOSE_ALG_NOT_ALLOWED': return 'alg-not-allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': return 'bad-signature';
    case 'ERR_JWKS_NO_MATCHING_KEY': return 'no-matching-key';
    case 'ERR_JWKS_TIMEOUT': return 'jwks-timeout';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID': return 'malformed';
    default: return typeof code === 'string' ? code.toLowerCase() : 'invalid';
  }
}

/**
 * True when `authorization` is `Bearer <JWT>` whose `iss` is `issuer`, read without verifying anything:
 * the cheap test for "a token this gateway may accept", used to keep such tokens away from function
 * code (see src/gateway/events/request.ts). Forged or expired tokens count too: the gateway does not
 * hand out anything shaped like its own credentials.
 */
export function bearsIssuer(authorization: string, issuer: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  if (!m) return false;
  try {
    return decodeJwt(m[1]!).iss === issuer;
  } catch {
    return false;
  }
}

export function createJwtVerifier(cfg: JwtConfig, home: string): JwtVerifier {
  const { key, algorithms } = keySource(cfg, home);
  const options = {
    issuer: cfg.issuer,
    audience: cfg.audience,
    algorithms,
    clockTolerance: cfg.clockToleranceSec,
    // A token without exp would never expire.
    requiredClaims: ['exp'],
  };
  return {
    algorithms,
    async verify(token) {
      try {
        const { payload } = typeof key === 'function'
          ? await jwtVerify(token, key, options)
          : await jwtVerify(token, key, options);
        const roles: Role[] = stringList(payload[cfg.rolesClaim]).filter(isRole);
        const functions = stringList(payload[cfg.functionsClaim]);
        // sub is caller-chosen text that ends up in logs and events: bound its length.
        const sub = typeof payload.sub === 'string' && payload.sub.length > 0 ? payload.sub.slice(0, 128) : 'unknown';
        // exp is a required claim, checked by jwtVerify: a number of seconds.
        const expiresAt = new Date(Number(payload.exp) * 1000).toISOString();
        return { ok: true, principal: { kind: 'jwt', actor: `jwt:${sub}`, roles, functions, claims: { ...payload }, expiresAt } };
      } catch (err) {
        return { ok: false, reason: failureReason(err) };
      }
    },
  };
}
