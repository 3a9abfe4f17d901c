// /admin/v1/publishers: register, list and revoke the Ed25519 public keys whose signatures deploys may
// carry (src/signing/, docs/signing.md). A publisher key may sign a deploy of any function, so only an
// admin scoped to * manages them. The id is derived from the public key; every change is a security
// event. Revocation applies to the next deploy (the deploy check reads the store, uncached).

import type { FastifyInstance } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import { decodePublicKey, publisherKeyId } from '../../signing/signature.ts';
import type { Store } from '../../store/store.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

const addSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['name', 'publicKey'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 120, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
      publicKey: { type: 'string', minLength: 1, maxLength: 1024, pattern: '^[A-Za-z0-9+/]*={0,2}$' },
    },
  },
} as const;

const idParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^pub_[0-9a-f]{24}$' } } } as const;

export async function registerPublisherRoutes(app: FastifyInstance, deps: { store: Store; access: AdminAccess }): Promise<void> {
  const { store, access } = deps;
  const authorize = async (request: Parameters<AdminAccess['authorize']>[0]) => {
    const principal = principalOf(request);
    await access.authorize(request, principal, 'manage-publishers');
    if (!principal.functions.includes('*')) {
      await access.refuse(request, principal, 'manage-publishers', 'manage publisher keys (they sign deploys of every function: only an admin scoped to * may)');
    }
    return principal;
  };

  app.post<{ Body: { name: string; publicKey: string } }>('/publishers', { schema: addSchema, config: { action: 'manage-publishers' } }, async (request, reply) => {
    const principal = await authorize(request);
    const key = decodePublicKey(request.body.publicKey);
    const record = { id: publisherKeyId(key), name: request.body.name, publicKey: request.body.publicKey, createdAt: new Date().toISOString(), revokedAt: null };
    await store.publishers.insert(record);
    await access.publish(request, { type: 'publisher.added', actor: principal.actor, detail: { keyId: record.id, name: record.name } });
    return reply.code(201).send(record);
  });

  app.get('/publishers', { config: { action: 'manage-publishers' } }, async (request) => {
    await authorize(request);
    return { publishers: await store.publishers.list() };
  });

  app.delete<{ Params: { id: string } }>('/publishers/:id', { schema: { params: idParams }, config: { action: 'manage-publishers' } }, async (request) => {
    const principal = await authorize(request);
    const { id } = request.params;
    const existing = await store.publishers.get(id);
    if (!existing) throw new BulwarkError('BWK_E_SIGNING_KEY_NOT_FOUND', [id]);
    const revoked = await store.publishers.revoke(id, new Date().toISOString());
    if (revoked) await access.publish(request, { type: 'publisher.revoked', actor: principal.actor, detail: { keyId: id, name: existing.name } });
    return { revoked };
  });
}
