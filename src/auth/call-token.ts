// Function-to-function call tokens (context.invoke). When function A calls function B, the gateway
// signs a token saying who calls whom, within which request, how deep in a call chain and until when;
// the callee's side verifies it before B runs. The token is the only thing that makes B's
// `context.caller` true, so a token is accepted once, for the callee it names, before it expires,
// and only if this gateway signed it.
//
// The signing key pair is Ed25519 and lives in memory only, generated when the issuer is created: a
// token lives for seconds and never leaves the gateway process, so there is nothing to keep across a
// restart, and a key that is never written cannot be read from the data directory. (A restart
// invalidates tokens in flight, which were bound to invocations the restart ended anyway.)
//
// Wire form: base64url(JSON claims) "." base64url(Ed25519 signature over the claims bytes). The claims
// are parsed only after the signature checks out, and then against a closed shape.
//
// Replay: every token carries a random call id (nonce). The verifier remembers each accepted id until
// the token's expiry; the memory is bounded, and when it is full of unexpired ids a new token is
// refused rather than an id forgotten early (forgetting one would let it be replayed).
//
// Hop limit: a call made by an invocation that was itself called carries its caller's hop count plus
// one. Signing refuses a hop beyond the limit, so an A→B→A loop stops there, as Lambda's
// recursive-loop detection stops a runaway chain. Verifying need not check it again: the hop is signed,
// and this issuer never signs one beyond the limit.

import { generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { BulwarkError } from '../errors.ts';

export interface CallClaims {
  /** The calling function, as the gateway ran it (never as the worker says). */
  caller: { function: string; version: number };
  /** The function called. */
  callee: string;
  /** The request id of the caller's invocation: the whole chain is traceable to its origin. */
  requestId: string;
  /** Unique per call: the nonce the replay cache remembers. */
  callId: string;
  /** 1 for a call made by an invocation nobody called; its callee's calls carry 2, and so on. */
  hop: number;
  /** Expiry, seconds since the epoch. */
  exp: number;
}

export interface CallTokenOptions {
  /** Seconds a token is valid after signing. */
  ttlSeconds: number;
  /** Largest hop count accepted: a call deeper in a chain is refused. */
  maxHops: number;
  /** Call ids remembered at most (each until its token expires). */
  replayCacheSize: number;
  /** Milliseconds since the epoch; Date.now unless a test moves time. */
  now?: () => number;
}

/** Why a token was refused: recorded with the refusal, never told to the caller. */
export type CallTokenRejection = 'malformed' | 'bad-signature' | 'expired' | 'wrong-callee' | 'replayed' | 'replay-cache-full';

export type CallTokenCheck =
  | { ok: true; claims: CallClaims }
  | { ok: false; reason: CallTokenRejection };

export interface CallTokenIssuer {
  /**
   * A token for one call from `caller` (itself called with hop `callerHop`, 0 when nobody called it) to
   * `callee`. Throws BWK_E_BROKER_INVOKE_HOP_LIMIT when the call would go beyond the hop limit.
   */
  sign(call: { caller: CallClaims['caller']; callee: string; requestId: string; callerHop: number }): string;
  /** Checks a token presented for a call to `callee`; an accepted token's call id is spent. */
  verify(token: string, callee: string): CallTokenCheck;
}

/** Longer than any token this issuer signs: a longer one is refused before it is decoded. */
const MAX_TOKEN_CHARS = 2048;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
const CLAIM_KEYS = ['caller', 'callee', 'requestId', 'callId', 'hop', 'exp'];

export function createCallTokenIssuer(opts: CallTokenOptions): CallTokenIssuer {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const now = opts.now ?? Date.now;
  /** Spent call ids and the expiry (seconds) until which each must be remembered. */
  const spent = new Map<string, number>();

  function remember(callId: string, exp: number): boolean {
    if (spent.size >= opts.replayCacheSize) {
      const nowSeconds = now() / 1000;
      for (const [id, until] of spent) if (until <= nowSeconds) spent.delete(id);
      if (spent.size >= opts.replayCacheSize) return false;
    }
    spent.set(callId, exp);
    return true;
  }

  return {
    sign({ caller, callee, requestId, callerHop }) {
      const hop = callerHop + 1;
      if (hop > opts.maxHops) throw new BulwarkError('BWK_E_BROKER_INVOKE_HOP_LIMIT', [String(opts.maxHops)], { caller: caller.function, callee, requestId, hop });
      const claims: CallClaims = {
        caller: { function: caller.function, version: caller.version },
        callee,
        requestId,
        callId: randomUUID(),
        hop,
        exp: Math.floor(now() / 1000) + opts.ttlSeconds,
      };
      const body = Buffer.from(JSON.stringify(claims), 'utf8');
      return `${body.toString('base64url')}.${sign(null, body, privateKey).toString('base64url')}`;
    },

    verify(token, callee) {
      const parts = token.length <= MAX_TOKEN_CHARS ? token.split('.') : [];
      if (parts.length !== 2 || !BASE64URL.test(parts[0]!) || !BASE64URL.test(parts[1]!)) return { ok: false, reason: 'malformed' };
      const body = Buffer.from(parts[0]!, 'base64url');
      if (!verifySignature(publicKey, body, Buffer.from(parts[1]!, 'base64url'))) return { ok: false, reason: 'bad-signature' };
      const claims = parseClaims(body);
      if (!claims) return { ok: false, reason: 'malformed' };
      if (claims.exp <= now() / 1000) return { ok: false, reason: 'expired' };
      if (claims.callee !== callee) return { ok: false, reason: 'wrong-callee' };
      if (spent.has(claims.callId)) return { ok: false, reason: 'replayed' };
      if (!remember(claims.callId, claims.exp)) return { ok: false, reason: 'replay-cache-full' };
      return { ok: true, claims };
    },
  };
}

function verifySignature(publicKey: KeyObject, body: Buffer, signature: Buffer): boolean {
  try {
    return verify(null, body, publicKey, signature);
  } catch {
    return false;
  }
}

/** The claims, if `body` is exactly the shape sign() writes; undefined otherwise. */
function parseClaims(body: Buffer): CallClaims | undefined {
  let value: unknown;
  try {
    value = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const o = value as Record<string, unknown>;
  if (Object.keys(o).length !== CLAIM_KEYS.length || !CLAIM_KEYS.every((k) => k in o)) return undefined;
  const caller = o.caller as Record<string, unknown> | null;
  if (caller === null || typeof caller !== 'object' || typeof caller.function !== 'string' || !Number.isSafeInteger(caller.version)) return undefined;
  if (typeof o.callee !== 'string' || typeof o.requestId !== 'string' || typeof o.callId !== 'string') return undefined;
  if (!Number.isSafeInteger(o.hop) || !Number.isSafeInteger(o.exp)) return undefined;
  return {
    caller: { function: caller.function, version: caller.version as number },
    callee: o.callee,
    requestId: o.requestId,
    callId: o.callId,
    hop: o.hop as number,
    exp: o.exp as number,
  };
}
