// /admin/v1/secrets and /admin/v1/vault: the vault's admin surface (src/vault/). Secrets are not scoped to
// functions (permissions.secrets grants them), so writes and master key rotation need an admin scoped to
// *; deployers may list names and versions. No answer, event or error ever carries a value: a value
// goes in (in a request body) and only comes out inside a granted function.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Action } from '../../auth/roles.ts';
import type { Principal } from '../../auth/principal.ts';
import { BulwarkError } from '../../errors.ts';
import { MAX_SECRET_BYTES, type MasterRotation, type Vault } from '../../vault/vault.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

const nameParams = {
  type: 'object', required: ['name'], properties: { name: { type: 'string', pattern: '^[A-Z][A-Z0-9_]{0,63}$' } },
} as const;
// Characters, not bytes: the vault checks the byte length after decoding (UTF-8 may take 4 bytes each).
const valueBody = {
  type: 'object', additionalProperties: false, required: ['value'],
  properties: { value: { type: 'string', minLength: 1, maxLength: MAX_SECRET_BYTES } },
} as const;

export async function registerSecretRoutes(app: FastifyInstance, deps: { vault: Vault; access: AdminAccess }): Promise<void> {
  const { vault, access } = deps;

  const globalAdmin = async (request: FastifyRequest, action: Action): Promise<Principal> => {
    const principal = principalOf(request);
    await access.authorize(request, principal, action);
    if (!principal.functions.includes('*')) {
      await access.refuse(request, principal, action, `${action} (secrets are not scoped to functions: only a caller scoped to * may)`);
    }
    return principal;
  };
  const changed = (request: FastifyRequest, principal: Principal, detail: { name: string; version: number | null; change: string }) =>
    access.publish(request, { type: 'secret.changed', actor: principal.actor, detail });

  app.get('/secrets', { config: { action: 'list-secrets' } }, async (request) => {
    await access.authorize(request, principalOf(request), 'list-secrets');
    return { secrets: await vault.list() };
  });

  app.get<{ Params: { name: string } }>('/secrets/:name', { config: { action: 'list-secrets' }, schema: { params: nameParams } }, async (request) => {
    await access.authorize(request, principalOf(request), 'list-secrets');
    const versions = await vault.versions(request.params.name);
    if (versions.length === 0) throw new BulwarkError('BWK_E_VAULT_SECRET_NOT_FOUND', [request.params.name]);
    const active = (await vault.list()).find((s) => s.name === request.params.name)?.activeVersion;
    return { name: request.params.name, activeVersion: active, versions };
  });

  app.put<{ Params: { name: string }; Body: { value: string } }>('/secrets/:name', {
    config: { action: 'manage-secrets' }, schema: { params: nameParams, body: valueBody },
  }, async (request, reply) => {
    const principal = await globalAdmin(request, 'manage-secrets');
    const created = await vault.set(request.params.name, Buffer.from(request.body.value, 'utf8'), principal.actor);
    await changed(request, principal, { name: created.name, version: created.version, change: 'set' });
    return reply.code(201).send(created);
  });

  app.post<{ Params: { name: string }; Body: { value: string } }>('/secrets/:name/rotate', {
    config: { action: 'manage-secrets' }, schema: { params: nameParams, body: valueBody },
  }, async (request, reply) => {
    const principal = await globalAdmin(request, 'manage-secrets');
    const created = await vault.rotate(request.params.name, Buffer.from(request.body.value, 'utf8'), principal.actor);
    await changed(request, principal, { name: created.name, version: created.version, change: 'rotate' });
    return reply.code(201).send(created);
  });

  app.post<{ Params: { name: string }; Body: { version: number } }>('/secrets/:name/rollback', {
    config: { action: 'manage-secrets' },
    schema: {
      params: nameParams,
      body: { type: 'object', additionalProperties: false, required: ['version'], properties: { version: { type: 'integer', minimum: 1 } } },
    },
  }, async (request) => {
    const principal = await globalAdmin(request, 'manage-secrets');
    await vault.rollback(request.params.name, request.body.version, principal.actor);
    await changed(request, principal, { name: request.params.name, version: request.body.version, change: 'rollback' });
    return { name: request.params.name, activeVersion: request.body.version };
  });

  app.delete<{ Params: { name: string } }>('/secrets/:name', { config: { action: 'manage-secrets' }, schema: { params: nameParams } }, async (request) => {
    const principal = await globalAdmin(request, 'manage-secrets');
    const removed = await vault.remove(request.params.name);
    if (!removed) throw new BulwarkError('BWK_E_VAULT_SECRET_NOT_FOUND', [request.params.name]);
    await changed(request, principal, { name: request.params.name, version: null, change: 'remove' });
    return { name: request.params.name, removed };
  });

  // Key file: one step (the gateway keeps the new key itself). BULWARK_MASTER_KEY: prepare, then commit
  // once the operator proves they stored the key (docs/vault.md); each refuses the other mode.
  const rotated = (request: FastifyRequest, principal: Principal, rotation: MasterRotation, source: 'env' | 'file') =>
    access.publish(request, { type: 'vault.master-rotated', actor: principal.actor, detail: { ...rotation, source } });

  app.post('/vault/rotate-master', { config: { action: 'rotate-master-key' } }, async (request) => {
    const principal = await globalAdmin(request, 'rotate-master-key');
    const rotation = await vault.rotateMaster();
    await rotated(request, principal, rotation, 'file');
    return rotation;
  });

  app.post('/vault/rotate-master/prepare', { config: { action: 'rotate-master-key' } }, async (request) => {
    const principal = await globalAdmin(request, 'rotate-master-key');
    const prepared = await vault.prepareMasterRotation();
    await access.publish(request, {
      type: 'vault.master-rotation-prepared',
      actor: principal.actor,
      detail: { masterKeyId: prepared.masterKeyId, expiresAt: prepared.expiresAt },
    });
    return prepared;
  });

  app.post<{ Body: { masterKeyId: string; proof: string } }>('/vault/rotate-master/commit', {
    config: { action: 'rotate-master-key' },
    schema: {
      body: {
        type: 'object', additionalProperties: false, required: ['masterKeyId', 'proof'],
        properties: { masterKeyId: { type: 'string', pattern: '^[0-9a-f]{16}$' }, proof: { type: 'string', pattern: '^[0-9a-f]{64}$' } },
      },
    },
  }, async (request) => {
    const principal = await globalAdmin(request, 'rotate-master-key');
    const rotation = await vault.commitMasterRotation(request.body.masterKeyId, request.body.proof);
    await rotated(request, principal, rotation, 'env');
    return rotation;
  });
}
