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
//
// A call from another function (source 'invoke', context.invoke) carries the call token the gateway
// signed for it (src/auth/call-token.ts): it must verify (signature, expiry, callee, not spent), and the
// principal is then the calling function its claims name. Any other principal handed in is ignored.

import { BulwarkError } from '../../errors.ts';
import { anonymous, functionPrincipal } from '../../auth/principal.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import type { CallTokenIssuer } from '../../auth/call-token.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'authn',
  phase: 'identity',
  description: 'Requires a valid API key or JWT unless the trigger is explicitly public',
  errors: ['BWK_E_GUARD_AUTH_REQUIRED', 'BWK_E_GUARD_AUTH_INVALID'],
} as const satisfies GuardMeta;

export type AuthnOptions = Record<string, never>;

export interface AuthnDeps {
  authenticator: Authenticator;
  /** Verifies call tokens (source 'invoke'); absent outside a gateway, and every call is then refused. */
  callTokens?: Pick<CallTokenIssuer, 'verify'>;
}

export function create(_opts: AuthnOptions, deps: AuthnDeps): Guard {
  return async function authn(req) {
    const trigger = req.trigger;
    if (trigger.kind === 'invoke') {
      const check = req.callToken === undefined || !deps.callTokens ? undefined : deps.callTokens.verify(req.callToken, req.fn.name);
      if (check?.ok) {
        const { caller, requestId, hop } = check.claims;
        return pass({ principal: functionPrincipal({ function: caller.function, version: caller.version, requestId, hop }) });
      }
      const reason = check?.reason ?? 'missing';
      // Recorded as guard.rejected with the rule; no auth.failed: there is no client address to score.
      return deny(new BulwarkError('BWK_E_GUARD_AUTH_INVALID', [], { reason }), { rule: `call-token-${reason}` });
    }
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
