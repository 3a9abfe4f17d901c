// Authentication and authorisation for the admin API: the same credentials and the same permission
// matrix as function routes (src/auth), applied per route. Every refusal is published on the security
// stream — auth.failed with the source IP and key id (never the secret), authz.denied with the action.

import type { FastifyRequest } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { publishSecurityEvent, type EventBus, type SecurityEvent } from '../../bus/bus.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { mayPerform, type Principal } from '../../auth/principal.ts';
import type { Action } from '../../auth/roles.ts';
import type { Logger } from '../../telemetry/logger.ts';

export interface AdminAccess {
  /** Authenticates the request (any credential kind). Throws 401 after publishing auth.failed. */
  authenticate(request: FastifyRequest): Promise<Principal>;
  /** Throws 403 after publishing authz.denied unless `principal` may do `action` (on `fn`). */
  authorize(request: FastifyRequest, principal: Principal, action: Action, fn?: string): Promise<void>;
  /**
   * Publishes authz.denied for a refusal beyond the role matrix (a scope the caller does not cover) and
   * throws `error`: 403 "Not allowed to <what>" unless the caller must not learn the target exists.
   */
  refuse(request: FastifyRequest, principal: Principal, action: Action, what: string, error?: BulwarkError): Promise<never>;
  /** Publishes a security event for a change made through the admin API. */
  publish(request: FastifyRequest, event: Omit<SecurityEvent, 'at' | 'requestId' | 'sourceIp'>): Promise<void>;
}

export function createAdminAccess(deps: { authenticator: Authenticator; bus: EventBus; logger: Logger }): AdminAccess {
  async function publish(request: FastifyRequest, event: Omit<SecurityEvent, 'at' | 'requestId' | 'sourceIp'>): Promise<void> {
    await publishSecurityEvent(deps.bus, deps.logger, { ...event, requestId: request.id, sourceIp: request.clientIp });
  }

  return {
    publish,
    async authenticate(request) {
      const outcome = await deps.authenticator.authenticate(request.headers);
      if (outcome.ok) return outcome.principal;
      await publish(request, {
        type: 'auth.failed',
        actor: 'anonymous',
        detail: { reason: outcome.reason, surface: 'admin', ...(outcome.keyId ? { keyId: outcome.keyId } : {}) },
      });
      throw new BulwarkError(outcome.code, [], { reason: outcome.reason });
    },
    async refuse(request, principal, action, what, error) {
      await publish(request, {
        type: 'authz.denied',
        actor: principal.actor,
        detail: { action, what, roles: principal.roles, functions: principal.functions, surface: 'admin' },
      });
      throw error ?? new BulwarkError('BWK_E_GUARD_FORBIDDEN', [what]);
    },
    async authorize(request, principal, action, fn) {
      if (mayPerform(principal, action, fn)) return;
      await publish(request, {
        type: 'authz.denied',
        actor: principal.actor,
        ...(fn ? { function: fn } : {}),
        detail: { action, roles: principal.roles, surface: 'admin' },
      });
      throw new BulwarkError('BWK_E_GUARD_FORBIDDEN', [fn ? `${action} ${fn}` : action]);
    },
  };
}
