// The admin API under /admin/v1: JSON only, every route behind authentication (here, before the body
// is read) and its own authorisation check (in the route). Bodies up to gateway.maxAdminBodyBytes,
// since a deploy carries its bundle.

import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import type { Store } from '../../store/store.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { SandboxProvider } from '../../runtime/sandbox/sandbox.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { createAdminAccess } from './access.ts';
import { registerFunctionRoutes } from './functions.ts';
import { registerKeyRoutes } from './keys.ts';
import { registerStatusRoutes } from './status.ts';

export interface AdminDeps {
  config: Config;
  store: Store;
  bus: EventBus;
  sandbox: SandboxProvider;
  logger: Logger;
  authenticator: Authenticator;
}

export function createAdminApi(deps: AdminDeps): (app: FastifyInstance) => Promise<void> {
  const access = createAdminAccess(deps);
  return async function adminApi(app) {
    app.decorateRequest('adminPrincipal', null);
    // JSON only: fastify's default text/plain parser would let a non-JSON body reach schema validation.
    app.removeContentTypeParser('text/plain');
    app.addHook('onRoute', (route) => {
      route.bodyLimit = deps.config.gateway.maxAdminBodyBytes;
    });
    app.addHook('onRequest', async (request) => {
      request.adminPrincipal = await access.authenticate(request);
    });
    await registerFunctionRoutes(app, { store: deps.store, sandbox: deps.sandbox, bus: deps.bus, logger: deps.logger, access });
    await registerKeyRoutes(app, { store: deps.store, access });
    await registerStatusRoutes(app, { store: deps.store, bus: deps.bus, sandbox: deps.sandbox, access });
  };
}
