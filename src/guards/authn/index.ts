// Establishes who is calling. Default deny: every HTTP trigger needs an API key or a JWT; a trigger may
// narrow that to one kind (`auth: api-key` / `auth: jwt`), and only `auth: public`, said explicitly
// in the manifest, lets an anonymous caller through (credentials on a public route are not examined).
//
// Queue messages and scheduled runs carry no credentials of their own. A message's publisher was
// authenticated by the admin API when it published (and authorised to publish there); the queue consumer
// hands that principal in, and this guard checks, at every delivery attempt, that the credential behind it
// is still good: an API key not revoked, not expired and still there (its role and scope read again from
// the store), a JWT not expired. A message can wait for a busy consumer or a retry, and a key revoked
// meanwhile must stop it. A scheduled run's principal is the scheduler's. Anything else is refused: no
// source runs a function as nobody.

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
    const trigger = req.trigger;
    if (trigger.kind === 'queue' || trigger.kind === 'schedule') {
      const p = req.principal;
      const expected = trigger.kind === 'queue' ? p?.kind === 'api-key' || p?.kind === 'jwt' : p?.kind === 'scheduler';
      if (!p || !expected) {
        return deny(new BulwarkError('BWK_E_GUARD_AUTH_REQUIRED', [], { reason: `no ${trigger.kind === 'queue' ? 'publisher' : 'scheduler'} principal` }), {
          rule: `${trigger.kind}-principal`,
        });
      }
      if (trigger.kind === 'schedule') return pass({ principal: p });
      const recheck = await deps.authenticator.recheck(p);
      if (recheck.ok) return pass({ principal: recheck.principal });
      // No auth.failed: the publisher did nothing wrong now, and its address must not be scored for it.
      return deny(new BulwarkError(recheck.code, [], { reason: recheck.reason }), { rule: `publisher-${recheck.reason}` });
    }
    const mode = trigger.auth;
    if (mode === 'public') return pass({ principal: anonymous });
    const outcome = await deps.authenticator.authenticate(req.headers, mode);
    if (outcome.ok) return pass({ principal: outcome.principal });
    return deny(new BulwarkError(outcome.code, [], { reason: outcome.reason }), {
      event: { type: 'auth.failed', detail: { reason: outcome.reason, ...(outcome.keyId ? { keyId: outcome.keyId } : {}) } },
    });
  };
}
