// /admin/v1/spend: metered spend, limits, tiers and forecasts of the current budget periods (the remote
// half of `bulwark spend`). Read-only, from the gateway's in-memory ledger, so it is exact up to the
// invocation that just ended. Functions are shown within the caller's scope; the global budget, which
// sums every function, only to callers scoped to all of them.

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { covers } from '../../auth/principal.ts';
import type { SpendLedger } from '../../metering/ledger.ts';
import type { Store } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

interface SpendQuery {
  function?: string;
  callers?: boolean;
  limit?: number;
  global?: boolean;
}

/** Callers listed by default: the biggest spenders (the ledger tracks up to budgets.maxTracked). */
const CALLERS_LISTED = 100;

const spendQuery = {
  type: 'object',
  additionalProperties: false,
  properties: {
    function: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
    callers: { type: 'boolean' },
    limit: { type: 'integer', minimum: 1, maximum: 1000 },
    global: { type: 'boolean' },
  },
} as const;

export async function registerSpendRoutes(app: FastifyInstance, deps: { store: Store; ledger: SpendLedger; access: AdminAccess }): Promise<void> {
  const { store, ledger, access } = deps;

  app.get<{ Querystring: SpendQuery }>('/spend', { schema: { querystring: spendQuery }, config: { action: 'read-spend' } }, async (request) => {
    const principal = principalOf(request);
    const q = request.query;
    if (q.global && q.function) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['use either function or global, not both']);
    if (q.callers && !q.global && !q.function) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['callers needs a function or global']);
    if (q.limit !== undefined && !q.callers) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['limit applies to callers only']);
    const listed = q.limit ?? CALLERS_LISTED;

    if (q.global) {
      await access.authorize(request, principal, 'read-spend');
      if (!principal.functions.includes('*')) await access.refuse(request, principal, 'read-spend', 'read the global spend');
      return { currency: ledger.currency, global: ledger.view(undefined), ...(q.callers ? { callers: ledger.callers(undefined, listed) } : {}) };
    }

    if (q.function) {
      await access.authorize(request, principal, 'read-spend', q.function);
      const fn = await store.functions.getActive(q.function);
      if (!fn) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [q.function]);
      const target = { name: fn.name, budget: fn.manifest.budget };
      return { currency: ledger.currency, functions: [ledger.view(target)], ...(q.callers ? { callers: ledger.callers(target, listed) } : {}) };
    }

    await access.authorize(request, principal, 'read-spend');
    const functions = [];
    for (const summary of await store.functions.list()) {
      if (!covers(principal, summary.name)) continue;
      const fn = await store.functions.getActive(summary.name);
      if (fn) functions.push(ledger.view({ name: fn.name, budget: fn.manifest.budget }));
    }
    return { currency: ledger.currency, functions };
  });
}
