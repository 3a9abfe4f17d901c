// /admin/v1/incidents: incidents opened by alert rules (src/incidents/), their timelines, and the human
// side of them: acknowledging and resolving, each with the admin as actor and an optional note.
// Incidents are about addresses, callers and functions across the whole platform, so, like IP blocks,
// only a caller scoped to * may see (viewer, admin) or change (admin) them.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import type { Principal } from '../../auth/principal.ts';
import type { Action } from '../../auth/roles.ts';
import type { IncidentEngine } from '../../incidents/engine.ts';
import type { IncidentStatus, IncidentStore } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

const NOTE = { type: 'string', minLength: 1, maxLength: 500, pattern: '^[^\\u0000-\\u0008\\u000b-\\u001f\\u007f]*$' } as const;
const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^inc_[A-Za-z0-9_-]{1,32}$' } } } as const;
const changeSchema = {
  params: idParams,
  body: { type: ['object', 'null'], additionalProperties: false, properties: { note: NOTE } },
} as const;

export interface IncidentRouteDeps {
  store: IncidentStore;
  /** Absent when incidents.enabled is false: incidents on record stay readable; ack and resolve are refused (400). */
  engine?: IncidentEngine;
  access: AdminAccess;
}

export async function registerIncidentRoutes(app: FastifyInstance, deps: IncidentRouteDeps): Promise<void> {
  const { store, access } = deps;

  async function globalCaller(request: FastifyRequest, action: Action): Promise<Principal> {
    const principal = principalOf(request);
    await access.authorize(request, principal, action);
    if (!principal.functions.includes('*')) await access.refuse(request, principal, action, `${action} (incidents concern the whole platform: only a caller scoped to * may)`);
    return principal;
  }

  app.get<{ Querystring: { status?: IncidentStatus; limit: number } }>('/incidents', {
    config: { action: 'read-incidents' },
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { status: { enum: ['open', 'acknowledged', 'resolved'] }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
    },
  }, async (request) => {
    await globalCaller(request, 'read-incidents');
    const { status, limit } = request.query;
    const incidents = await store.list({ ...(status ? { status } : {}), limit });
    return { incidents: incidents.map(({ timeline: _timeline, ...rest }) => rest) };
  });

  app.get<{ Params: { id: string } }>('/incidents/:id', { config: { action: 'read-incidents' }, schema: { params: idParams } }, async (request) => {
    await globalCaller(request, 'read-incidents');
    const incident = await store.get(request.params.id);
    if (!incident) throw new BulwarkError('BWK_E_INCIDENT_NOT_FOUND', [request.params.id]);
    return { incident };
  });

  for (const [path, to] of [['ack', 'acknowledged'], ['resolve', 'resolved']] as const) {
    app.post<{ Params: { id: string }; Body: { note?: string } | null }>(`/incidents/:id/${path}`, { config: { action: 'manage-incidents' }, schema: changeSchema }, async (request) => {
      const principal = await globalCaller(request, 'manage-incidents');
      const by = { actor: principal.actor, requestId: request.id, ...(request.body?.note ? { note: request.body.note } : {}) };
      if (!deps.engine) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['incidents are switched off in this gateway (incidents.enabled: false)']);
      const incident = to === 'acknowledged' ? await deps.engine.acknowledge(request.params.id, by) : await deps.engine.resolve(request.params.id, by);
      return { incident };
    });
  }
}
