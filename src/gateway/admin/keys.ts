// /admin/v1/keys: create (the key is in the answer once and nowhere else), list (never a secret or
// its hash), revoke. Admin only (manage-keys), and an admin scoped to some functions sees, creates and
// revokes keys within that scope only; only an admin scoped to * creates admin keys. A key never
// outlives the credential that created it: its expiry is cut to the creator's (a key's expiresAt, a
// JWT's exp), and a creator that expires may not ask for a key that never does. Every change and every
// refusal is a security event.

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { createApiKey } from '../../auth/api-keys.ts';
import { roles, type Role } from '../../auth/roles.ts';
import { coversAll } from '../../auth/principal.ts';
import type { ApiKeyRecord, Store } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

interface CreateKeyBody {
  role: Role;
  functions: string[];
  label?: string;
  expiresInDays?: number;
}

const createKeySchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['role', 'functions'],
    properties: {
      role: { enum: roles },
      functions: { type: 'array', minItems: 1, maxItems: 256, uniqueItems: true, items: { type: 'string', pattern: '^(\\*|[a-z][a-z0-9-]{0,62})$' } },
      label: { type: 'string', maxLength: 120, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
      expiresInDays: { type: 'integer', minimum: 1, maximum: 3650 },
    },
  },
} as const;

/** A key record without its secret hash: the only form that leaves the store. */
function publicView(k: ApiKeyRecord) {
  return { id: k.id, role: k.role, functions: k.functions, label: k.label, createdAt: k.createdAt, expiresAt: k.expiresAt, revokedAt: k.revokedAt };
}

export async function registerKeyRoutes(app: FastifyInstance, deps: { store: Store; access: AdminAccess }): Promise<void> {
  const { store, access } = deps;

  app.post<{ Body: CreateKeyBody }>('/keys', { schema: createKeySchema, config: { action: 'manage-keys' } }, async (request, reply) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'manage-keys');
    // ['*', 'x'] is just ['*']; say so rather than storing a scope that reads narrower than it is.
    const functions = request.body.functions.includes('*') ? ['*'] : request.body.functions;
    // No escalation: an admin scoped to some functions hands out keys within that scope only, and
    // never an admin key (which could then manage keys in a scope of its own).
    if (request.body.role === 'admin' && !principal.functions.includes('*')) {
      await access.refuse(request, principal, 'manage-keys', 'create an admin key (only an admin scoped to * may)');
    }
    if (!coversAll(principal, functions)) {
      await access.refuse(request, principal, 'manage-keys', 'create a key for functions outside your own scope');
    }
    // Otherwise a short-lived admin credential (a leaked one, a contractor's) could mint a key for 2036.
    const creatorExpiry = principal.expiresAt ?? undefined;
    if (creatorExpiry !== undefined && request.body.expiresInDays === undefined) {
      await access.refuse(request, principal, 'manage-keys', `create a key without expiry (your credential expires ${creatorExpiry}): set expiresInDays`);
    }
    const { record, key } = await createApiKey(store.keys, { ...request.body, functions, notAfter: creatorExpiry });
    await access.publish(request, {
      type: 'key.created',
      actor: principal.actor,
      detail: { keyId: record.id, role: record.role, functions: record.functions, expiresAt: record.expiresAt },
    });
    const { revokedAt: _revoked, ...view } = publicView(record);
    return reply.code(201).send({ ...view, key });
  });

  app.get('/keys', { config: { action: 'manage-keys' } }, async (request) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'manage-keys');
    return { keys: (await store.keys.list()).filter((k) => coversAll(principal, k.functions)).map(publicView) };
  });

  app.delete<{ Params: { id: string } }>('/keys/:id', {
    config: { action: 'manage-keys' },
    schema: { params: { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[A-Za-z0-9]{12}$' } } } },
  }, async (request) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'manage-keys');
    const { id } = request.params;
    const existing = await store.keys.get(id);
    if (!existing) throw new BulwarkError('BWK_E_REGISTRY_KEY_NOT_FOUND', [id]);
    // A key outside the caller's scope is as invisible here as in the listing: the same 404 as an
    // unknown id, and the attempt on the security stream.
    if (!coversAll(principal, existing.functions)) {
      await access.refuse(request, principal, 'manage-keys', `revoke key ${id} (outside your scope)`, new BulwarkError('BWK_E_REGISTRY_KEY_NOT_FOUND', [id]));
    }
    const revoked = await store.keys.revoke(id, new Date().toISOString());
    if (revoked) await access.publish(request, { type: 'key.revoked', actor: principal.actor, detail: { keyId: id, role: existing.role } });
    return { revoked };
  });
}
