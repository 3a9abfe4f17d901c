// Caps simultaneous invocations per function version (limits.concurrency) with a bounded FIFO queue
// (limits.queue) in front. When both are full the caller gets 429 with Retry-After instead of piling
// more work onto a saturated function. The permit travels in the verdict's `release` and is returned
// by the gateway when the invocation ends, however it ends; releasing twice is a no-op.
// Last in the chain on purpose: a request denied earlier never holds a permit. A queued caller who
// disconnects leaves the queue at once (GuardRequest.signal) and its request never runs.

import { BulwarkError } from '../../errors.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'concurrency',
  phase: 'capacity',
  description: 'Limits concurrent invocations per function, with a bounded queue',
  errors: ['BWK_E_GUARD_CONCURRENCY', 'BWK_E_GATEWAY_CLIENT_CLOSED'],
} as const satisfies GuardMeta;

export interface ConcurrencyOptions {
  /** Seconds a refused caller is told to wait. */
  retryAfterSec?: number;
}

interface Gate {
  active: number;
  waiting: Array<() => void>;
}

/**
 * Queues for a permit; false when the caller disconnects first. A caller who left gives up its place
 * at once: otherwise its request would still run later, for nobody, and hold a slot real callers need.
 */
function waitInLine(gate: Gate, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const leave = (): void => {
      const i = gate.waiting.indexOf(admit);
      if (i >= 0) gate.waiting.splice(i, 1);
      resolve(false);
    };
    const admit = (): void => {
      signal.removeEventListener('abort', leave);
      resolve(true);
    };
    gate.waiting.push(admit);
    signal.addEventListener('abort', leave, { once: true });
  });
}

export function create(opts: ConcurrencyOptions = {}): Guard {
  const retryAfter = String(opts.retryAfterSec ?? 1);
  // Keyed by name@version: a redeploy gets a fresh gate sized by its own manifest.
  const gates = new Map<string, Gate>();

  function releaser(key: string, gate: Gate): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = gate.waiting.shift();
      if (next) return next(); // hand the permit straight to the next in line
      gate.active--;
      if (gate.active === 0) gates.delete(key);
    };
  }

  return async function concurrency(req) {
    const { concurrency: limit, queue } = req.fn.manifest.limits;
    const key = `${req.fn.name}@${req.fn.version}`;
    let gate = gates.get(key);
    if (!gate) {
      gate = { active: 0, waiting: [] };
      gates.set(key, gate);
    }
    if (gate.active < limit) {
      gate.active++;
      return pass({ release: releaser(key, gate) });
    }
    if (gate.waiting.length < queue) {
      const admitted = await waitInLine(gate, req.signal);
      if (!admitted) return deny(new BulwarkError('BWK_E_GATEWAY_CLIENT_CLOSED', [], { function: req.fn.name, queued: true }));
      return pass({ release: releaser(key, gate) });
    }
    return deny(new BulwarkError('BWK_E_GUARD_CONCURRENCY', [req.fn.name], { limit, queue }), { headers: { 'retry-after': retryAfter } });
  };
}
