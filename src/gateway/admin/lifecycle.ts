// /admin/v1: disable and enable a function (src/lifecycle/disable.ts) and the inventory
// (src/lifecycle/inventory.ts). Each route authorises its action (src/auth/roles.ts) and the caller's
// scope: disable and enable name one function; the inventory lists only the functions in scope.

import type { FastifyInstance } from 'fastify';
import { covers } from '../../auth/principal.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { Store } from '../../store/store.ts';
import type { SandboxProvider } from '../../runtime/sandbox/sandbox.ts';
import type { Logger } from '../../telemetry/logger.ts';
import { disableFunction, enableFunction, MAX_REASON_LENGTH } from '../../lifecycle/disable.ts';
import { buildInventory, scanFindings } from '../../lifecycle/inventory.ts';
import type { LastSeen } from '../../lifecycle/last-seen.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

export interface LifecycleRoutesDeps {
  store: Store;
  sandbox: SandboxProvider;
  bus: EventBus;
  logger: Logger;
  access: AdminAccess;
  lastSeen: Pick<LastSeen, 'flush'>;
  staleAfterDays: number;
  /** The lifecycle clock (inventory flags); tests move it. */
  now: () => Date;
}

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } } } as const;
const reasonBody = {
  type: 'object', additionalProperties: false, required: ['reason'],
  properties: { reason: { type: 'string', minLength: 1, maxLength: MAX_REASON_LENGTH, pattern: '\\S' } },
} as const;

export async function registerLifecycleRoutes(app: FastifyInstance, deps: LifecycleRoutesDeps): Promise<void> {
  const { access } = deps;
  const lifecycleDeps = { store: deps.store, sandbox: deps.sandbox, bus: deps.bus, logger: deps.logger, now: deps.now };

  app.post<{ Params: { name: string }; Body: { reason: string } }>('/functions/:name/disable', {
    config: { action: 'disable' }, schema: { params: nameParams, body: reasonBody },
  }, async (request) => {
    const { name } = request.params;
    const principal = principalOf(request);
    await access.authorize(request, principal, 'disable', name);
    const changed = await disableFunction(lifecycleDeps, { name, reason: request.body.reason, actor: principal.actor, requestId: request.id });
    return { name, state: 'disabled', changed };
  });

  app.post<{ Params: { name: string }; Body: { reason: string } }>('/functions/:name/enable', {
    config: { action: 'enable' }, schema: { params: nameParams, body: reasonBody },
  }, async (request) => {
    const { name } = request.params;
    const principal = principalOf(request);
    await access.authorize(request, principal, 'enable', name);
    const lifted = await enableFunction(lifecycleDeps, { name, reason: request.body.reason, actor: principal.actor, requestId: request.id });
    return { name, state: 'active', changed: lifted !== undefined };
  });

  app.get('/inventory', { config: { action: 'read-inventory' } }, async (request) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'read-inventory');
    // So that an invocation of the last seconds shows.
    await deps.lastSeen.flush();
    const functions = await buildInventory(
      { store: deps.store, staleAfterDays: deps.staleAfterDays, findings: scanFindings(deps.store.scans) },
      deps.now(), (name) => covers(principal, name),
    );
    return { at: deps.now().toISOString(), staleAfterDays: deps.staleAfterDays, functions };
  });
}
