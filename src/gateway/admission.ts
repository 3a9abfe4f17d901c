// Routes that invoke no function (the admin API, /healthz, unknown paths): what the gateway does about
// abuse there, since no guard chain runs for them.
//   - Blocked client addresses are refused: a blocked attacker must not go on probing the admin API or
//     scanning for routes. The check is the chain's own (GuardChain.admit, ip-block's check), counted with
//     the chain's rejections, and recorded like any guard refusal: one guard.rejected event.
//   - A request for a path nothing serves is recorded as route.unknown, as an unknown function route is
//     (src/gateway/invoke.ts): scanners probing for /.env or /wp-login.php count towards a block.

import type { FastifyReply, FastifyRequest } from 'fastify';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { GuardChain } from '../guards/chain.ts';
import type { Logger } from '../telemetry/logger.ts';
import { echo, sendError } from './error-reply.ts';

export interface Admission {
  /** Refuses a blocked client address; returns the reply when it did. */
  admitOtherRoute(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined>;
  /** Publishes route.unknown for a request no route serves. */
  recordUnknownRoute(request: FastifyRequest): Promise<void>;
}

export function createAdmission(deps: { chain: GuardChain; bus: EventBus; logger: Logger }): Admission {
  const pathOf = (request: FastifyRequest): string => echo(request.url.split('?', 1)[0]!, 200);
  return {
    async admitOtherRoute(request, reply) {
      const rejection = deps.chain.admit(request.clientIp);
      if (!rejection) return undefined;
      await publishSecurityEvent(deps.bus, deps.logger, {
        type: 'guard.rejected',
        requestId: request.id,
        sourceIp: request.clientIp,
        detail: { guard: rejection.guard, rule: rejection.rule ?? null, code: rejection.error.code, source: 'http', path: pathOf(request) },
      });
      return sendError(reply, rejection.error, deps.logger, rejection.headers);
    },
    async recordUnknownRoute(request) {
      await publishSecurityEvent(deps.bus, deps.logger, {
        type: 'route.unknown', requestId: request.id, sourceIp: request.clientIp, detail: { method: request.method, path: pathOf(request) },
      });
    },
  };
}
