// /admin/v1/blocks: the IP blocks in force (list), their history with evidence, and blocking or
// unblocking by hand. Blocks are global — they refuse an address on every function and on this API — so
// only a caller scoped to * may see or change them. Every change is recorded by the blocklist (history +
// ip.blocked / ip.unblocked event with the admin as actor).
//
// Two manual blocks are refused (409 BWK_E_REGISTRY_BLOCK_REFUSED): an allowlisted address, and the address the
// request itself comes from, which would lock the admin out of this API (blocked addresses are refused
// here too). The unspecified addresses are no client's and are refused as well.

import type { FastifyInstance, FastifyRequest } from 'fastify';
import { BulwarkError } from '../../errors.ts';
import type { Blocklist } from '../../abuse/blocklist.ts';
import type { Principal } from '../../auth/principal.ts';
import type { Action } from '../../auth/roles.ts';
import { canonicalIp } from '../../net/address-set.ts';
import type { AdminAccess } from './access.ts';
import { principalOf } from './principal.ts';

const REASON = { type: 'string', minLength: 1, maxLength: 200, pattern: '^[^\\u0000-\\u001f\\u007f]*$' } as const;
/** Ten years: long enough for "until further notice" with a TTL, short enough to stay a date. */
const MAX_TTL_SEC = 10 * 365 * 24 * 3600;

interface BlockBody {
  address: string;
  reason: string;
  ttlSec?: number;
}

const blockSchema = {
  body: {
    type: 'object',
    additionalProperties: false,
    required: ['address', 'reason'],
    properties: { address: { type: 'string', maxLength: 64 }, reason: REASON, ttlSec: { type: 'integer', minimum: 1, maximum: MAX_TTL_SEC } },
  },
} as const;

const addressParams = { type: 'object', required: ['address'], properties: { address: { type: 'string', maxLength: 64 } } } as const;

function addressOf(text: string): string {
  const address = canonicalIp(text);
  if (address === undefined) throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['address must be an IPv4 or IPv6 address, like 203.0.113.7 or 2001:db8::1']);
  return address;
}

export async function registerBlockRoutes(app: FastifyInstance, deps: { blocklist: Blocklist; access: AdminAccess }): Promise<void> {
  const { blocklist, access } = deps;

  async function globalCaller(request: FastifyRequest, action: Action): Promise<Principal> {
    const principal = principalOf(request);
    await access.authorize(request, principal, action);
    if (!principal.functions.includes('*')) await access.refuse(request, principal, action, `${action} (IP blocks apply to every function: only a caller scoped to * may)`);
    return principal;
  }

  app.get('/blocks', { config: { action: 'list-blocks' } }, async (request) => {
    await globalCaller(request, 'list-blocks');
    return { blocks: blocklist.list() };
  });

  app.get<{ Querystring: { address?: string; limit: number } }>('/blocks/history', {
    config: { action: 'list-blocks' },
    schema: {
      querystring: {
        type: 'object', additionalProperties: false,
        properties: { address: { type: 'string', maxLength: 64 }, limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      },
    },
  }, async (request) => {
    await globalCaller(request, 'list-blocks');
    const { address, limit } = request.query;
    return { history: await blocklist.history({ ...(address !== undefined ? { address: addressOf(address) } : {}), limit }) };
  });

  app.post<{ Body: BlockBody }>('/blocks', { schema: blockSchema, config: { action: 'manage-blocks' } }, async (request, reply) => {
    const principal = await globalCaller(request, 'manage-blocks');
    const address = addressOf(request.body.address);
    if (address === '0.0.0.0' || address === '::') throw new BulwarkError('BWK_E_REGISTRY_BLOCK_REFUSED', [address, 'it is not a client address']);
    if (address === request.clientIp) {
      throw new BulwarkError('BWK_E_REGISTRY_BLOCK_REFUSED', [address, 'this request comes from it, and a blocked address cannot reach the admin API']);
    }
    const block = await blocklist.blockManually(address, {
      reason: request.body.reason,
      ttlMs: request.body.ttlSec === undefined ? null : request.body.ttlSec * 1000,
      actor: principal.actor,
      requestId: request.id,
    });
    return reply.code(201).send({ block });
  });

  app.delete<{ Params: { address: string }; Querystring: { reason?: string } }>('/blocks/:address', {
    config: { action: 'manage-blocks' },
    schema: { params: addressParams, querystring: { type: 'object', additionalProperties: false, properties: { reason: REASON } } },
  }, async (request) => {
    const principal = await globalCaller(request, 'manage-blocks');
    const unblocked = await blocklist.unblock(addressOf(request.params.address), {
      reason: request.query.reason ?? 'removed by an admin',
      actor: principal.actor,
      requestId: request.id,
    });
    return { unblocked };
  });
}
