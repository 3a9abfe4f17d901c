// GET /admin/v1/dead-letters: queue messages and scheduled runs that were given up on (src/triggers/
// delivery.ts), newest first, payload included. Action `read-logs`: a payload is caller data, as log lines
// are, so the same roles read both. A caller scoped to some functions sees only theirs.

import type { FastifyInstance } from 'fastify';
import type { Store } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

/** At most this many per request: each letter may hold a payload of up to DEAD_LETTER_PAYLOAD_BYTES. */
const MAX_LIMIT = 100;

export async function registerDeadLetterRoutes(app: FastifyInstance, deps: { store: Store; access: AdminAccess }): Promise<void> {
  app.get<{ Querystring: { function?: string; limit?: number } }>('/dead-letters', {
    config: { action: 'read-logs' },
    schema: {
      querystring: {
        type: 'object',
        additionalProperties: false,
        properties: {
          function: { type: 'string', pattern: '^[a-z][a-z0-9-]{0,62}$' },
          limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT },
        },
      },
    },
  }, async (request) => {
    const principal = principalOf(request);
    const { function: name, limit = 20 } = request.query;
    await deps.access.authorize(request, principal, 'read-logs', name);
    const scope = principal.functions.includes('*') ? undefined : principal.functions;
    const deadLetters = await deps.store.deadLetters.list({ ...(name ? { function: name } : {}), ...(scope ? { functions: scope } : {}), limit });
    return { deadLetters };
  });
}
