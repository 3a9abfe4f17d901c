// Decides whether the authenticated caller may invoke this function: a role that allows `invoke`
// (src/auth/roles.ts) and a scope (key functions / JWT functions claim) that names the function.
// Anonymous callers pass only on an HTTP trigger the manifest declares public.
//
// Queue: the caller is the message's publisher, and the check is the same as over HTTP. Publishing is
// invoking every function that consumes the subject, with input the publisher chose; without this an
// invoker key scoped to one function could drive any function with a queue trigger. (The publish route
// checks it too, before accepting the message; this is the check that holds at delivery time.)
// Schedule: the scheduler principal passes, and only there: the run was authorised when the version
// declaring the schedule was deployed (deploy role and scope).
// Invoke: the calling function (principal kind 'function', named by a verified call token) passes, and
// only there: the call was authorised against the caller's permissions.invoke before it was signed.

import { BulwarkError } from '../../errors.ts';
import { mayPerform, type Principal } from '../../auth/principal.ts';
import { deny, pass, type Guard, type GuardMeta, type Verdict } from '../types.ts';

export const meta = {
  id: 'authz',
  phase: 'identity',
  description: 'Requires a role that may invoke and a scope that covers the function',
  errors: ['BWK_E_GUARD_FORBIDDEN'],
} as const satisfies GuardMeta;

export type AuthzOptions = Record<string, never>;

export function create(_opts: AuthzOptions = {}): Guard {
  return async function authz(req) {
    const p = req.principal;
    const trigger = req.trigger;
    if (trigger.kind === 'schedule' && p?.kind === 'scheduler') return pass();
    if (trigger.kind === 'invoke') return p?.kind === 'function' ? pass() : forbidden(req.fn.name, p);
    if (trigger.kind === 'http' && p?.kind === 'anonymous' && trigger.auth === 'public') return pass();
    if (p && (p.kind === 'api-key' || p.kind === 'jwt') && mayPerform(p, 'invoke', req.fn.name)) return pass();
    return forbidden(req.fn.name, p);
  };
}

function forbidden(fn: string, p: Principal | undefined): Verdict {
  return deny(new BulwarkError('BWK_E_GUARD_FORBIDDEN', [`invoke ${fn}`]), {
    event: { type: 'authz.denied', detail: { action: 'invoke', roles: p?.roles ?? [] } },
  });
}
