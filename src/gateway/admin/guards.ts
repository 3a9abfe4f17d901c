// /admin/v1/guards: the guard chain as it runs — its order, and how many requests each guard (and rule)
// has refused since the gateway started (the remote half of `bulwark guards`).

import type { FastifyInstance } from 'fastify';
import type { GuardChain } from '../../guards/chain.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

export async function registerGuardRoutes(app: FastifyInstance, deps: { chain: GuardChain; access: AdminAccess }): Promise<void> {
  app.get('/guards', { config: { action: 'doctor' } }, async (request) => {
    await deps.access.authorize(request, principalOf(request), 'doctor');
    return { disabled: deps.chain.disabled, order: deps.chain.order, rejections: deps.chain.rejections() };
  });
}
