// context.kv: get, put, delete and list entries of a namespace in the function key-value store (the
// Store's KvStore), for a function whose manifest grants the namespace in permissions.kv: `read` allows
// get and list, `read-write` also put and delete. Announced to every worker, so that a use without a
// grant is refused and recorded (capability.denied) rather than failing silently. Each call names its
// namespace and key separately and the grant is looked up for that exact namespace: a key is an opaque
// string inside it ('../b' is a key of the namespace, not a path), and a namespace that is not a
// granted name (odd characters included) is simply not granted. Every call is a security event naming
// the function and the namespace, never a key or value.

import { BulwarkError } from '../../errors.ts';
import { publishSecurityEvent } from '../../bus/bus.ts';
import { KV_LIMITS } from '../../store/store.ts';
import { protocolError } from '../broker/protocol.ts';
import type { Capability, CapabilityDeps, InvocationContext } from './capability.ts';

type KvArgs =
  | { op: 'get' | 'delete'; namespace: string; key: string }
  | { op: 'put'; namespace: string; key: string; value: string }
  | { op: 'list'; namespace: string; prefix: string; limit: number };

/**
 * What a worker may send at all; the worker's own checks (bootstrap.mjs) stay within these, so a call
 * beyond them comes from a tampered sandbox. The real bounds (KV_LIMITS) are narrower and refused with
 * an error the function sees.
 */
export const KV_WIRE = { namespace: 256, key: 4 * KV_LIMITS.keyBytes, valueChars: 4 * KV_LIMITS.valueBytes } as const;

function text(o: Record<string, unknown>, field: string, min: number, max: number): string {
  const v = o[field];
  if (typeof v !== 'string' || v.length < min || v.length > max) throw protocolError(`kv: ${field} must be a string of ${min} to ${max} characters`);
  return v;
}

function record(deps: CapabilityDeps, inv: InvocationContext, type: 'capability.used' | 'capability.denied', namespace: string): Promise<void> {
  return publishSecurityEvent(deps.bus, deps.logger, {
    type, requestId: inv.requestId, function: inv.target.name, version: inv.target.version,
    actor: inv.actor, detail: { capability: 'kv', target: namespace },
  });
}

function checkKey(key: string): void {
  const bytes = Buffer.byteLength(key);
  if (bytes === 0 || bytes > KV_LIMITS.keyBytes) throw new BulwarkError('BWK_E_KV_KEY_INVALID', [`a key must be 1 to ${KV_LIMITS.keyBytes} bytes (got ${bytes})`]);
}

export const kv: Capability<KvArgs> = {
  name: 'kv',
  granted: () => true,
  parse(args) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw protocolError('kv: arguments must be an object');
    const o = args as Record<string, unknown>;
    const namespace = text(o, 'namespace', 1, KV_WIRE.namespace);
    switch (o.op) {
      case 'get':
      case 'delete':
        return { op: o.op, namespace, key: text(o, 'key', 0, KV_WIRE.key) };
      case 'put':
        return { op: 'put', namespace, key: text(o, 'key', 0, KV_WIRE.key), value: text(o, 'value', 1, KV_WIRE.valueChars) };
      case 'list': {
        const limit = o.limit;
        if (!Number.isSafeInteger(limit) || (limit as number) < 1) throw protocolError('kv: limit must be a positive integer');
        return { op: 'list', namespace, prefix: text(o, 'prefix', 0, KV_WIRE.key), limit: Math.min(limit as number, KV_LIMITS.listMax) };
      }
      default:
        throw protocolError('kv: op must be get, put, delete or list');
    }
  },
  async handle(args, inv, deps) {
    const grants = inv.target.manifest.permissions.kv ?? {};
    // Own properties only: a namespace named like an Object.prototype member is not a grant.
    const access = Object.hasOwn(grants, args.namespace) ? grants[args.namespace] : undefined;
    const writes = args.op === 'put' || args.op === 'delete';
    if (access !== 'read-write' && (writes || access !== 'read')) {
      await record(deps, inv, 'capability.denied', args.namespace);
      throw new BulwarkError('BWK_E_BROKER_CAPABILITY_DENIED', [`kv: ${args.op} on namespace ${args.namespace}`]);
    }
    if (!deps.kv) throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['kv']);
    let result: unknown;
    switch (args.op) {
      case 'get':
        checkKey(args.key);
        result = (await deps.kv.get(args.namespace, args.key))?.value;
        break;
      case 'delete':
        checkKey(args.key);
        result = await deps.kv.delete(args.namespace, args.key);
        break;
      case 'put':
        checkKey(args.key);
        if (Buffer.byteLength(args.value) > KV_LIMITS.valueBytes) throw new BulwarkError('BWK_E_KV_VALUE_TOO_LARGE', [KV_LIMITS.valueBytes]);
        try {
          JSON.parse(args.value);
        } catch {
          throw new BulwarkError('BWK_E_KV_VALUE_INVALID', ['it is not JSON']);
        }
        await deps.kv.put({ namespace: args.namespace, key: args.key, value: args.value, updatedAt: new Date().toISOString(), updatedBy: inv.target.name });
        result = undefined;
        break;
      case 'list':
        result = await deps.kv.list(args.namespace, { prefix: args.prefix, limit: args.limit });
        break;
    }
    await record(deps, inv, 'capability.used', args.namespace);
    return result;
  },
};
