// Carries the authenticated admin caller from the onRequest hook (which runs before the body is even
// read, so neither an unauthenticated caller nor one whose role may not use the route can make the
// gateway parse a 32 MB deploy) to the route handler.

import type { FastifyRequest } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import type { Principal } from '../../auth/principal.ts';

declare module 'fastify' {
  interface FastifyRequest {
    adminPrincipal: Principal | null;
  }
}

export function principalOf(request: FastifyRequest): Principal {
  const p = request.adminPrincipal;
  // Unreachable while the onRequest hook is registered; failing closed if it ever is not.
  if (!p) throw new BulwarkError('BWK_E_GATEWAY_INTERNAL', [], { reason: 'admin route reached without authentication' });
  return p;
}
