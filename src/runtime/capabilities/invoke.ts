// context.invoke(name, payload): a call from this function to another, for a function whose manifest
// lists the callee in permissions.invoke. Announced to every worker, so that a call not granted is
// refused and recorded (capability.denied) rather than failing silently. The grant is read from the
// caller's deployed manifest, and the call is signed with the caller's identity and call depth as the
// gateway ran it (InvocationContext), never as the worker says; the callee then goes through the whole
// guard chain (src/gateway/function-calls.ts).
//
// The answer is the callee's HTTP response {statusCode, headers, body, isBase64Encoded}, normalised as
// for an HTTP caller: a handler returning a plain value answers 200 with it as a JSON body, and one
// answering an error status is an answer, not a failure. A refusal (hop limit, the callee's guards) or a
// failure of the callee (threw, timed out) rejects the caller's promise with the BulwarkError code and
// its public message only.

import { BulwarkError, isBulwarkError } from '../../errors.ts';
import { publishSecurityEvent } from '../../bus/bus.ts';
import { protocolError } from '../broker/protocol.ts';
import type { Capability, CapabilityDeps, InvocationContext } from './capability.ts';

interface InvokeArgs {
  name: string;
  payload: unknown;
}

/** A function name (src/manifest/schema.ts): anything else is not a name, it is a protocol breach. */
const FUNCTION_NAME = /^[a-z][a-z0-9-]{0,62}$/;

function record(deps: CapabilityDeps, inv: InvocationContext, type: 'capability.used' | 'capability.denied', name: string, reason?: string): Promise<void> {
  return publishSecurityEvent(deps.bus, deps.logger, {
    type, requestId: inv.requestId, function: inv.target.name, version: inv.target.version,
    actor: inv.actor, detail: { capability: 'invoke', target: name, ...(reason ? { reason } : {}) },
  });
}

export const invoke: Capability<InvokeArgs> = {
  name: 'invoke',
  granted: () => true,
  parse(args) {
    const a = args as { name?: unknown; payload?: unknown } | null;
    if (typeof a?.name !== 'string' || !FUNCTION_NAME.test(a.name)) throw protocolError('invoke: name must be a function name');
    return { name: a.name, payload: a.payload ?? null };
  },
  async handle({ name, payload }, inv, deps) {
    if (!(inv.target.manifest.permissions.invoke ?? []).includes(name) || !deps.functionCalls) {
      await record(deps, inv, 'capability.denied', name);
      throw new BulwarkError('BWK_E_BROKER_CAPABILITY_DENIED', [`invoke: ${name}`]);
    }
    try {
      const result = await deps.functionCalls.call(inv, name, payload);
      await record(deps, inv, 'capability.used', name);
      return { statusCode: result.statusCode, headers: result.headers, body: result.body, isBase64Encoded: result.isBase64Encoded };
    } catch (err) {
      if (isBulwarkError(err) && err.code === 'BWK_E_BROKER_INVOKE_HOP_LIMIT') await record(deps, inv, 'capability.denied', name, 'hop-limit');
      throw err;
    }
  },
};
