// Disabling and enabling a function: the kill switch an admin (`bulwark disable`), the expiry sweep
// (src/lifecycle/sweep.ts) and incident response use. A disabled function keeps its versions, keys,
// grants and data; the gateway refuses every invocation of it, from every source (http, queue,
// schedule, invoke: src/lifecycle/admission.ts), with 403 BWK_E_GATEWAY_FUNCTION_DISABLED.
//
// Order: store first, so no new invocation is admitted once this resolves (the store read behind the
// admission check is cache-invalidated by the write), then the warm workers are retired: idle ones
// stop now, busy ones when their invocation ends (SandboxProvider.retire).

import { BulwarkError } from '../errors.ts';
import { isExpired } from '../manifest/parse.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { FunctionDisable, Store } from '../store/store.ts';
import type { SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface DisableDeps {
  store: Pick<Store, 'functions' | 'lifecycle'>;
  sandbox: Pick<SandboxProvider, 'retire'>;
  bus: EventBus;
  logger: Logger;
  /** The clock, injectable so the sweep's tests can move it; default: now. */
  now?: () => Date;
}

export interface DisableRequest {
  name: string;
  /** Why, for the operators and the audit ledger (never shown to callers). 1–500 characters. */
  reason: string;
  /** Who: 'key:<id>', 'jwt:<sub>', 'lifecycle-sweep', 'incident:<id>'. */
  actor: string;
  requestId?: string;
}

/** Longest reason kept; a longer one is cut (it goes into events and the store). */
export const MAX_REASON_LENGTH = 500;

function cleanReason(reason: string): string {
  const r = String(reason ?? '').trim().slice(0, MAX_REASON_LENGTH);
  if (r === '') throw new BulwarkError('BWK_E_GATEWAY_BAD_REQUEST', ['a reason is required to disable or enable a function']);
  return r;
}

/**
 * Disables a function. Resolves true when this call disabled it, false when it was disabled already
 * (the first reason is kept; its workers are retired again all the same). Throws
 * BWK_E_REGISTRY_FUNCTION_NOT_FOUND when there is no such function, BWK_E_GATEWAY_BAD_REQUEST for an
 * empty reason.
 */
export async function disableFunction(deps: DisableDeps, req: DisableRequest): Promise<boolean> {
  const reason = cleanReason(req.reason);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const changed = await deps.store.lifecycle.disable({ name: req.name, at, actor: req.actor, reason });
  await deps.sandbox.retire(req.name);
  if (!changed) return false;
  deps.logger.warn({ requestId: req.requestId, function: req.name, actor: req.actor, reason }, 'function disabled');
  await publishSecurityEvent(deps.bus, deps.logger, {
    type: 'function.disabled', actor: req.actor, function: req.name, ...(req.requestId ? { requestId: req.requestId } : {}),
    detail: { reason, killedWorkers: true },
  });
  return true;
}

/**
 * Enables a disabled function. Resolves the lifted record, or undefined when it was not disabled.
 * A function past its expiry date is refused with BWK_E_LIFECYCLE_EXPIRED: the sweep would disable it
 * again at once, and its keys and grants were revoked (src/lifecycle/offboard.ts); the owner deploys
 * it with a later date first.
 */
export async function enableFunction(deps: DisableDeps, req: DisableRequest): Promise<FunctionDisable | undefined> {
  const reason = cleanReason(req.reason);
  const active = await deps.store.functions.getActive(req.name);
  if (!active) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [req.name]);
  if (isExpired(active.manifest, deps.now?.() ?? new Date())) throw new BulwarkError('BWK_E_LIFECYCLE_EXPIRED', [req.name]);
  const lifted = await deps.store.lifecycle.enable(req.name);
  if (!lifted) return undefined;
  deps.logger.info({ requestId: req.requestId, function: req.name, actor: req.actor, reason }, 'function enabled');
  await publishSecurityEvent(deps.bus, deps.logger, {
    type: 'function.enabled', actor: req.actor, function: req.name, ...(req.requestId ? { requestId: req.requestId } : {}),
    detail: { reason, disabledAt: lifted.at, disabledReason: lifted.reason },
  });
  return lifted;
}
