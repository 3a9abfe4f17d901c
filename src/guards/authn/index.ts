// Establishes who is calling. Default deny: every trigger needs an API key or a JWT; a trigger may
// narrow that to one kind (`auth: api-key` / `auth: jwt`), and only `auth: public`, said explicitly
// in the manifest, lets an anonymous caller through (credentials on a public route are not examined).

import { BulwarkError } from '../../errors.ts';
import { anonymous } from '../../auth/principal.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'authn',
  phase: 'identity',
  description: 'Requires a valid API key or JWT unless the trigger is explicitly public',
  errors: ['BWK_E_GUARD_AUTH_REQUIRED', 'BWK_E_GUARD_AUTH_INVALID'],
} as const satisfies GuardMeta;

export type AuthnOptions = Record<string, never>;

export function create(_opts: AuthnOptions, deps: { authenticator: Authenticator }): Guard {
  return async function authn(req) {
    const mode = req.trigger.auth;
    if (mode === 'public') return pass({ principal: anonymous });
    const outcome = await deps.authenticator.authenticate(req.headers, mode);
    if (outcome.ok) return pass({ principal: outcome.principal });
    return deny(new BulwarkError(outcome.code, [], { reason: outcome.reason }), {
      event: { type: 'auth.failed', detail: { reason: outcome.reason, ...(outcome.keyId ? { keyId: outcome.keyId } : {}) } },
    });
  };
}
