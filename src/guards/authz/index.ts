// Decides whether the authenticated caller may invoke this function: a role that allows `invoke`
// (src/auth/roles.ts) and a scope (key functions / JWT functions claim) that names the function.
// Anonymous callers pass only on a trigger the manifest declares public.

import { BulwarkError } from '../../errors.ts';
import { mayPerform } from '../../auth/principal.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

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
    if (p?.kind === 'anonymous' && req.trigger.auth === 'public') return pass();
    if (p && p.kind !== 'anonymous' && mayPerform(p, 'invoke', req.fn.name)) return pass();
    return deny(new BulwarkError('BWK_E_GUARD_FORBIDDEN', [`invoke ${req.fn.name}`]), {
      event: { type: 'authz.denied', detail: { action: 'invoke', roles: p?.roles ?? [] } },
    });
  };
}
