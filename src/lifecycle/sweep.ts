// The expiry sweep: every function whose manifest is past its `expires` date is offboarded in 'disable'
// mode (src/lifecycle/offboard.ts): disabled, its keys revoked, its secret grants dropped (and the
// secrets no one else grants deleted), its kv kept unless lifecycle.purgeKvOnOffboard. The gateway runs
// it once at start and every lifecycle.sweepIntervalMs; runs never overlap. Between the expiry date and
// the sweep the function is already refused (410 BWK_E_GATEWAY_FUNCTION_EXPIRED, admission.ts): the
// sweep is what revokes what the function held.

import { isExpired } from '../manifest/parse.ts';
import type { Logger } from '../telemetry/logger.ts';
import { offboardFunction, type OffboardDeps, type OffboardReport } from './offboard.ts';

/** The actor of everything the sweep does, in events and in the disabled record. */
export const SWEEP_ACTOR = 'lifecycle-sweep';

export interface ExpirySweep {
  /** Sweeps now (after a run in progress, if any); resolves the functions it offboarded. */
  run(): Promise<OffboardReport[]>;
  /** Stops the timer and waits for a run in progress. */
  close(): Promise<void>;
}

export interface SweepDeps extends OffboardDeps {
  logger: Logger;
  intervalMs: number;
  purgeKv: boolean;
}

export function startExpirySweep(deps: SweepDeps): ExpirySweep {
  let running: Promise<OffboardReport[]> = Promise.resolve([]);
  let closed = false;

  async function sweepOnce(): Promise<OffboardReport[]> {
    const now = deps.now?.() ?? new Date();
    const done: OffboardReport[] = [];
    for (const summary of await deps.store.functions.list()) {
      if (closed) break;
      try {
        const fn = await deps.store.functions.getActive(summary.name);
        if (!fn || !isExpired(fn.manifest, now)) continue;
        // Offboarded once: a later sweep has nothing left to revoke.
        if ((await deps.store.lifecycle.disabled(fn.name))?.offboardedAt) continue;
        done.push(await offboardFunction(deps, {
          name: fn.name, mode: 'disable', actor: SWEEP_ACTOR, reason: `expired: its manifest's expires date ${fn.manifest.expires} has passed`, purgeKv: deps.purgeKv,
        }));
      } catch (err) {
        // One function that cannot be offboarded (removed meanwhile, a store error) must not keep the
        // sweep from the others; it is retried at the next run.
        deps.logger.error({ err, function: summary.name }, 'expiry sweep: could not offboard the function');
      }
    }
    if (done.length > 0) deps.logger.warn({ offboarded: done.map((r) => r.name) }, 'expiry sweep offboarded expired functions');
    return done;
  }

  function run(): Promise<OffboardReport[]> {
    const next = running.catch(() => []).then(sweepOnce);
    running = next;
    return next;
  }

  const timer = setInterval(() => {
    run().catch((err: unknown) => deps.logger.error({ err }, 'expiry sweep failed'));
  }, deps.intervalMs);
  timer.unref();
  return {
    run,
    async close() {
      closed = true;
      clearInterval(timer);
      await running.catch(() => undefined);
    },
  };
}
