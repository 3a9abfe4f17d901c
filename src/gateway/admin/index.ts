// The admin API under /admin/v1: JSON only, every route behind authentication and its role check (here,
// before the body is read; each route names its action in config.action) and its scope check (in the
// route, which may need the body). Bodies up to gateway.maxAdminBodyBytes,
// since a deploy carries its bundle.

import type { FastifyInstance } from 'fastify';
import type { Config } from '../../config.ts';
import type { Store } from '../../store/store.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { SandboxProvider } from '../../runtime/sandbox/sandbox.ts';
import type { Logger } from '../../telemetry/logger.ts';
import type { Authenticator } from '../../auth/authenticate.ts';
import { BulwarkError } from '../../errors.ts';
import type { Action } from '../../auth/roles.ts';
import { createAdminAccess } from './access.ts';
import { registerFunctionRoutes } from './functions.ts';
import { createScanGate } from '../../scanner/gate/server.ts';
import { registerKeyRoutes } from './keys.ts';
import { registerSecretRoutes } from './secrets.ts';
import type { Vault } from '../../vault/vault.ts';
import { registerPublisherRoutes } from './publishers.ts';
import { registerStatusRoutes } from './status.ts';
import { registerBlockRoutes } from './blocks.ts';
import { registerGuardRoutes } from './guards.ts';
import type { Blocklist } from '../../abuse/blocklist.ts';
import type { GuardChain } from '../../guards/chain.ts';
import { registerSpendRoutes } from './spend.ts';
import { registerPolicyRoutes } from './policy.ts';
import type { UsageRecorder } from '../../policy/usage.ts';
import { registerPublishRoutes } from './publish.ts';
import { registerDeadLetterRoutes } from './dead-letters.ts';
import type { SpendLedger } from '../../metering/ledger.ts';
import { registerLifecycleRoutes } from './lifecycle.ts';
import type { LastSeen } from '../../lifecycle/last-seen.ts';
import { registerIncidentRoutes } from './incidents.ts';
import type { IncidentEngine } from '../../incidents/engine.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The role-matrix action an admin route performs, checked in onRequest before the body is read. */
    action?: Action;
  }
}

export interface AdminDeps {
  config: Config;
  store: Store;
  bus: EventBus;
  sandbox: SandboxProvider;
  logger: Logger;
  authenticator: Authenticator;
  chain: GuardChain;
  blocklist: Blocklist;
  ledger: SpendLedger;
  vault: Vault;
  /** Observed capability use (src/policy/usage.ts), flushed before a policy report. */
  usage: UsageRecorder;
  /** Active functions consuming a subject (src/triggers/index.ts), for the publish route. */
  consumersOf(subject: string): Promise<string[]>;
  /** Last invocations (src/lifecycle/last-seen.ts), flushed before an inventory. */
  lastSeen: Pick<LastSeen, 'flush'>;
  /** The lifecycle clock (expiry sweep, inventory flags). */
  now: () => Date;
  /** Acknowledging and resolving incidents (src/incidents/engine.ts); absent when incidents.enabled is false. */
  incidents?: IncidentEngine;
}

export function createAdminApi(deps: AdminDeps): (app: FastifyInstance) => Promise<void> {
  const access = createAdminAccess(deps);
  return async function adminApi(app) {
    app.decorateRequest('adminPrincipal', null);
    // JSON only: fastify's default text/plain parser would let a non-JSON body reach schema validation.
    app.removeContentTypeParser('text/plain');
    app.addHook('onRoute', (route) => {
      // A route may ask for less (publish); none gets more.
      route.bodyLimit = Math.min(route.bodyLimit ?? Infinity, deps.config.gateway.maxAdminBodyBytes);
    });
    app.addHook('onRequest', async (request) => {
      request.adminPrincipal = await access.authenticate(request);
      // The role check too, before the body is read: a viewer or invoker key must not be able to make
      // the gateway receive and parse a 32 MB deploy only to be refused by the handler. Checks that need
      // the body or the function name (scope) stay in the handlers.
      if (request.is404) return;
      const action = request.routeOptions.config.action;
      if (!action) throw new BulwarkError('BWK_E_GATEWAY_INTERNAL', [], { reason: `admin route ${request.routeOptions.url} declares no action` });
      await access.authorize(request, request.adminPrincipal, action);
    });
    await registerFunctionRoutes(app, {
      store: deps.store, sandbox: deps.sandbox, bus: deps.bus, logger: deps.logger, access, signing: deps.config.signing,
      scanGate: await createScanGate(deps.config.scanner.failOn, deps.config.scanner.requireScan),
    });
    await registerPublisherRoutes(app, { store: deps.store, access });
    await registerKeyRoutes(app, { store: deps.store, access });
    await registerSecretRoutes(app, { vault: deps.vault, access });
    await registerStatusRoutes(app, { store: deps.store, bus: deps.bus, sandbox: deps.sandbox, access });
    await registerBlockRoutes(app, { blocklist: deps.blocklist, access });
    await registerGuardRoutes(app, { chain: deps.chain, access });
    await registerSpendRoutes(app, { store: deps.store, ledger: deps.ledger, access });
    await registerPolicyRoutes(app, { store: deps.store, usage: deps.usage, access });
    await registerPublishRoutes(app, {
      bus: deps.bus, consumersOf: deps.consumersOf, access, logger: deps.logger, maxMessageBytes: deps.config.triggers.maxMessageBytes,
    });
    await registerDeadLetterRoutes(app, { store: deps.store, access });
    await registerLifecycleRoutes(app, {
      store: deps.store, sandbox: deps.sandbox, bus: deps.bus, logger: deps.logger, access, lastSeen: deps.lastSeen,
      staleAfterDays: deps.config.lifecycle.staleAfterDays, now: deps.now,
    });
    await registerIncidentRoutes(app, { store: deps.store.incidents, access, ...(deps.incidents ? { engine: deps.incidents } : {}) });
  };
}
