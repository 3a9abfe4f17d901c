// Turns request headers into a Principal. Shared by the authn guard (function routes) and the admin
// API so both read credentials the same way:
//   Authorization: Bearer <key|jwt>   or   X-Api-Key: <key>
// A value starting with "bwk_" is an API key, anything else a JWT.

import type { ApiKeyStore } from '../store/store.ts';
import { keyIdPrefix, looksLikeApiKey, recheckApiKey, verifyApiKey } from './api-keys.ts';
import type { JwtVerifier } from './jwt.ts';
import type { Principal } from './principal.ts';

export type CredentialKind = 'api-key' | 'jwt';

export interface Credential {
  kind: CredentialKind;
  value: string;
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | {
      ok: false;
      code: 'BWK_E_GUARD_AUTH_REQUIRED' | 'BWK_E_GUARD_AUTH_INVALID';
      /** Short, non-secret reason for the log and the auth.failed event. */
      reason: string;
      /** The id part of a presented API key (never the secret). */
      keyId?: string;
    };

export interface Authenticator {
  /** `accept` narrows the credential kinds a route takes (manifest trigger `auth`). */
  authenticate(headers: Record<string, string | string[] | undefined>, accept?: CredentialKind): Promise<AuthOutcome>;
  /**
   * Whether a principal authenticated earlier still holds a usable credential — a queue message's
   * publisher, at each delivery attempt. An API key is looked up again (revoked, expired or gone: refused;
   * the principal is rebuilt from the stored key); a JWT, which cannot be revoked, must not have expired.
   */
  recheck(principal: Principal): Promise<AuthOutcome>;
}

type Headers = Record<string, string | string[] | undefined>;

/** A credential that cannot be used, and why (for the log and the auth.failed event). */
export interface Unusable {
  unusable: 'ambiguous-credentials' | 'unsupported-scheme';
}

function single(v: string | string[] | undefined): string | undefined | null {
  if (Array.isArray(v)) return v.length === 1 ? v[0] : null;
  return v;
}

/**
 * Reads the credential. Headers that are ambiguous (repeated, or two different credentials in
 * Authorization and X-Api-Key) are unusable: guessing which one counts invites confusion attacks.
 */
export function readCredential(headers: Headers): Credential | Unusable | undefined {
  const authorization = single(headers.authorization);
  const apiKey = single(headers['x-api-key']);
  if (authorization === null || apiKey === null) return { unusable: 'ambiguous-credentials' };
  let bearer: string | undefined;
  if (authorization !== undefined) {
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (!m) return { unusable: 'unsupported-scheme' };
    bearer = m[1]!;
  }
  if (bearer !== undefined && apiKey !== undefined && bearer !== apiKey) return { unusable: 'ambiguous-credentials' };
  const value = bearer ?? apiKey;
  if (value === undefined) return undefined;
  if (looksLikeApiKey(value)) return { kind: 'api-key', value };
  // X-Api-Key carries API keys only.
  if (bearer === undefined) return { kind: 'api-key', value };
  return { kind: 'jwt', value };
}

export function createAuthenticator(deps: { keys: ApiKeyStore; jwt?: JwtVerifier; now?: () => Date }): Authenticator {
  const now = deps.now ?? (() => new Date());
  return {
    async authenticate(headers, accept) {
      const credential = readCredential(headers);
      if (credential === undefined) return { ok: false, code: 'BWK_E_GUARD_AUTH_REQUIRED', reason: 'missing' };
      if ('unusable' in credential) return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: credential.unusable };
      if (accept !== undefined && credential.kind !== accept) {
        return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: `route-accepts-${accept}-only`, keyId: keyIdPrefix(credential.value) };
      }
      if (credential.kind === 'api-key') {
        const check = await verifyApiKey(deps.keys, credential.value, now());
        if (check.ok) return check;
        return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: `key-${check.reason}`, keyId: check.keyId };
      }
      if (!deps.jwt) return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: 'jwt-not-configured' };
      const check = await deps.jwt.verify(credential.value);
      if (check.ok) return check;
      return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: `jwt-${check.reason}` };
    },

    async recheck(principal) {
      if (principal.kind === 'api-key' && principal.actor.startsWith('key:')) {
        const check = await recheckApiKey(deps.keys, principal.actor.slice('key:'.length), now());
        if (check.ok) return check;
        return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: `key-${check.reason}`, keyId: check.keyId };
      }
      if (principal.kind === 'jwt' && typeof principal.expiresAt === 'string') {
        if (Date.parse(principal.expiresAt) > now().getTime()) return { ok: true, principal };
        return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: 'jwt-expired' };
      }
      return { ok: false, code: 'BWK_E_GUARD_AUTH_INVALID', reason: 'unverifiable' };
    },
  };
}
