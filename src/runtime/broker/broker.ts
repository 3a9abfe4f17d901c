// The broker: the gateway end of a worker's capability calls. It checks that a call belongs to the
// invocation in flight and names a capability the manifest grants, lets the capability parse its
// arguments, runs it, and shapes the answer. Malformed calls throw BWK_E_BROKER_PROTOCOL (the worker
// is then killed); refused or failed calls become an error the function sees as a rejected promise.

import { BulwarkError, isBulwarkError } from '../../errors.ts';
import { capabilities } from '../capabilities/index.ts';
import type { CapabilityDeps, InvocationContext } from '../capabilities/capability.ts';
import { protocolError, type GatewayMessage } from './protocol.ts';

export type CapReply = Extract<GatewayMessage, { t: 'cap-result' }>;

/**
 * Calls one invocation may have open at a time. Notifications (call 0: log lines) are not counted: no
 * reply waits on them, the worker sends a turn's worth of them in one write, and the log capability
 * has its own per-invocation budget.
 */
const MAX_OPEN_CALLS = 32;

export class Broker {
  readonly #deps: CapabilityDeps;
  #open = 0;

  constructor(deps: CapabilityDeps) {
    this.#deps = deps;
  }

  /**
   * Validates a `cap` frame synchronously (throws BWK_E_BROKER_PROTOCOL) and returns the pending reply.
   */
  call(inv: InvocationContext, call: number, capName: string, rawArgs: unknown): Promise<CapReply> {
    const cap = capabilities.get(capName);
    if (!cap || !cap.granted(inv.target.manifest)) {
      // The worker was never told about this capability: only a tampered sandbox asks for it.
      throw protocolError(`capability ${capName.slice(0, 32)} not granted`, inv.target.name);
    }
    const counted = call !== 0;
    if (counted && this.#open >= MAX_OPEN_CALLS) {
      return Promise.resolve(refusal(call, new BulwarkError('BWK_E_BROKER_CAPABILITY_DENIED', [`${capName} (too many open calls)`])));
    }
    const args = cap.parse(rawArgs);
    if (counted) this.#open++;
    return cap.handle(args, inv, this.#deps).then(
      (value): CapReply => ({ t: 'cap-result', call, ok: true, value }),
      (err: unknown): CapReply => {
        if (!isBulwarkError(err)) this.#deps.logger.error({ err, capability: capName, requestId: inv.requestId }, 'capability failed');
        return refusal(call, isBulwarkError(err) ? err : new BulwarkError('BWK_E_GATEWAY_INTERNAL'));
      },
    ).finally(() => { if (counted) this.#open--; });
  }
}

function refusal(call: number, err: BulwarkError): CapReply {
  return { t: 'cap-result', call, ok: false, error: { code: err.code, message: err.message } };
}
