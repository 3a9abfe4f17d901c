// /admin/v1/status: what is running and how well it is isolated (the remote half of `bulwark doctor`).

import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { SandboxProvider } from '../../runtime/sandbox/sandbox.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

export async function registerStatusRoutes(app: FastifyInstance, deps: { store: Store; bus: EventBus; sandbox: SandboxProvider; access: AdminAccess }): Promise<void> {
  app.get('/status', { config: { action: 'doctor' } }, async (request) => {
    await deps.access.authorize(request, principalOf(request), 'doctor');
    return {
      node: process.version,
      store: deps.store.kind,
      bus: deps.bus.kind,
      isolation: deps.sandbox.isolation(),
      functions: (await deps.store.functions.list()).length,
    };
  });
}
