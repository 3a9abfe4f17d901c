// Who is calling, once authentication has succeeded. Built by api-keys.ts or jwt.ts, read by the
// authz guard and the admin API. Holds no secret: it is safe to log and to hand to a function.

import type { Role } from './roles.ts';
import { allows, type Action } from './roles.ts';

export interface Principal {
  kind: 'api-key' | 'jwt' | 'anonymous' | 'scheduler' | 'function';
  /** Stable, non-secret actor id for logs and events: "key:<id>", "jwt:<sub>", "anonymous", "scheduler" or "fn:<name>". */
  actor: string;
  roles: Role[];
  /** Function names in scope; ['*'] for all. Empty: none. */
  functions: string[];
  /** JWT claims (for the function's authorizer context); absent for API keys. */
  claims?: Record<string, unknown>;
  /** API key id, for the authorizer context; absent for JWTs. */
  keyId?: string;
  /**
   * When the credential stops working (ISO 8601): the key's expiresAt, the JWT's exp. null for a key
   * without expiry; absent for anonymous. A key this principal creates may not outlive it.
   */
  expiresAt?: string | null;
  /** The calling function, for kind 'function' only: what its verified call token says (src/auth/call-token.ts). */
  caller?: FunctionCaller;
}

/** A function calling another (context.invoke): the callee's `context.caller`, plus the call's depth. */
export interface FunctionCaller {
  function: string;
  version: number;
  /** The request id of the caller's invocation. */
  requestId: string;
  /** 1 for a call made by an invocation nobody called, and one more for each call deeper. */
  hop: number;
}

/** The principal of a call whose token verified: no role and no scope, let through on source 'invoke' only. */
export function functionPrincipal(caller: FunctionCaller): Principal {
  return { kind: 'function', actor: `fn:${caller.function}`, roles: [], functions: [], caller };
}

export const anonymous: Principal = Object.freeze({ kind: 'anonymous', actor: 'anonymous', roles: [], functions: [] }) as Principal;

/**
 * Who runs a schedule trigger. It holds no role and no scope: a scheduled run was authorised when the
 * version declaring it was deployed (deploy role, scope covering the function), and the authz guard lets
 * it through for source 'schedule' only (see docs/auth.md).
 */
export const scheduler: Principal = Object.freeze({ kind: 'scheduler', actor: 'scheduler', roles: [], functions: [] }) as Principal;

export function covers(principal: Principal, functionName: string): boolean {
  return principal.functions.includes('*') || principal.functions.includes(functionName);
}

/**
 * True when every function in `scope` is one `principal` covers. A '*' scope is within '*' only: a
 * scoped principal cannot hand out (or see, or revoke) a credential reaching beyond its own scope.
 */
export function coversAll(principal: Principal, scope: readonly string[]): boolean {
  if (principal.functions.includes('*')) return true;
  return scope.every((f) => f !== '*' && principal.functions.includes(f));
}

/** The one authorisation question: may this principal do `action`, on `functionName` when given? */
export function mayPerform(principal: Principal, action: Action, functionName?: string): boolean {
  if (!allows(principal.roles, action)) return false;
  return functionName === undefined || covers(principal, functionName);
}
