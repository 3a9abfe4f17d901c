// /admin/v1/policy: least-privilege analysis (src/policy/, docs/policy.md), the remote half of
// `bulwark policy suggest|check`. Read-only: each report compares the active version's grants with what
// its bundle references and what the function was seen using. Without a name, every function in the
// caller's scope. Pending run-time records are written first, so a report includes the last calls.

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { covers } from '../../auth/principal.ts';
import { analyzePolicy, type PolicyReport } from '../../policy/analyze.ts';
import { createReferenceCache } from '../../policy/references.ts';
import type { UsageRecorder } from '../../policy/usage.ts';
import type { FunctionVersion, Store } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

/** Bundles whose references are remembered: more than the active versions of a gateway's functions. */
const REMEMBERED_BUNDLES = 1024;

const nameParams = { type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' } } } as const;

export async function registerPolicyRoutes(app: FastifyInstance, deps: { store: Store; usage: UsageRecorder; access: AdminAccess }): Promise<void> {
  const { store, usage, access } = deps;
  const referencesOf = createReferenceCache(REMEMBERED_BUNDLES);

  async function reportOf(fn: FunctionVersion): Promise<PolicyReport> {
    const referenced = await referencesOf(fn.sha256, async () => {
      const bundle = await store.functions.getBundle(fn.sha256);
      if (!bundle) throw new BulwarkError('BWK_E_GATEWAY_INTERNAL', [], { reason: `bundle ${fn.sha256} of ${fn.name} is missing` });
      return Buffer.from(bundle).toString('utf8');
    });
    return analyzePolicy(fn, referenced, await store.capabilityUse.list(fn.name));
  }

  app.get<{ Params: { name: string } }>('/policy/:name', { schema: { params: nameParams }, config: { action: 'read-policy' } }, async (request) => {
    const { name } = request.params;
    await access.authorize(request, principalOf(request), 'read-policy', name);
    const fn = await store.functions.getActive(name);
    if (!fn) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [name]);
    await usage.flush();
    return { reports: [await reportOf(fn)] };
  });

  app.get('/policy', { config: { action: 'read-policy' } }, async (request) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'read-policy');
    await usage.flush();
    const reports: PolicyReport[] = [];
    for (const summary of await store.functions.list()) {
      if (!covers(principal, summary.name)) continue;
      const fn = await store.functions.getActive(summary.name);
      if (fn) reports.push(await reportOf(fn));
    }
    return { reports };
  });
}
