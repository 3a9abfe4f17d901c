// Offboarding: what happens to a function at the end of its life, the same for `bulwark rm` (mode
// 'remove') and for the expiry sweep (mode 'disable', src/lifecycle/sweep.ts). Top to bottom:
//
//   store, ONE transaction (FunctionLifecycleStore.offboard):
//     remove: the function, its versions, logs, dead letters and disabled record go
//     disable: it stays, disabled and marked offboarded (its grants no longer count as holding anything)
//     API keys scoped to this function only: revoked
//     API keys scoped to it and others: this function taken out of their scope ('*' keys: untouched)
//     secrets its active manifest grants: deleted unless a function not offboarded grants them too
//     kv namespaces it grants: purged only when asked (`--purge-kv`, lifecycle.purgeKvOnOffboard), and
//       then only those no other function not offboarded grants; kept otherwise
//   sandbox: its warm workers retired (busy ones when their invocation ends)
//   triggers: HTTP routes resolve from the store, so they are gone with the transaction; queue and
//     schedule triggers stop on `function.removed` (src/triggers/index.ts resyncs); a disabled
//     function's queue messages are dead-lettered and its scheduled runs skipped (admission.ts)
//   bus: key.revoked per key, secret.changed per deleted secret, function.removed or function.disabled,
//     and function.offboarded with the whole account of what was done
//
// Secret values stay known to log redaction and DLP until the gateway restarts (src/vault/vault.ts
// refreshes them on its own changes only): a deleted value is still withheld from logs and responses.

import { BulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { OffboardResult, Store } from '../store/store.ts';
import type { SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface OffboardDeps {
  store: Pick<Store, 'functions' | 'lifecycle'>;
  sandbox: Pick<SandboxProvider, 'retire'>;
  bus: EventBus;
  logger: Logger;
  now?: () => Date;
}

export interface OffboardRequest {
  name: string;
  mode: 'disable' | 'remove';
  reason: string;
  actor: string;
  requestId?: string;
  /** Purge the kv namespaces only this function grants; default keep. */
  purgeKv?: boolean;
}

export interface OffboardReport extends Omit<OffboardResult, 'found'> {
  name: string;
  mode: 'disable' | 'remove';
  lastVersion: number;
  /** Triggers of the active version that stopped. */
  triggers: { http: number; queue: number; schedule: number };
}

/** Offboards `name`; throws BWK_E_REGISTRY_FUNCTION_NOT_FOUND when there is no such function. */
export async function offboardFunction(deps: OffboardDeps, req: OffboardRequest): Promise<OffboardReport> {
  const active = await deps.store.functions.getActive(req.name);
  if (!active) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [req.name]);
  const wasDisabled = await deps.store.lifecycle.disabled(req.name);
  const at = (deps.now?.() ?? new Date()).toISOString();
  const permissions = active.manifest.permissions;
  const result = await deps.store.lifecycle.offboard({
    name: req.name, mode: req.mode, at, actor: req.actor, reason: req.reason,
    secrets: permissions.secrets ?? [], kvNamespaces: Object.keys(permissions.kv ?? {}), purgeKv: req.purgeKv === true,
  });
  // Removed between the read above and the transaction: someone else offboarded it.
  if (!result.found) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [req.name]);
  await deps.sandbox.retire(req.name);

  const { found: _found, ...done } = result;
  const report: OffboardReport = {
    name: req.name, mode: req.mode, lastVersion: active.version, ...done,
    triggers: { http: active.manifest.triggers.http.length, queue: active.manifest.triggers.queue.length, schedule: active.manifest.triggers.schedule.length },
  };
  const base = { actor: req.actor, function: req.name, ...(req.requestId ? { requestId: req.requestId } : {}) };
  const publish = (event: Parameters<typeof publishSecurityEvent>[2]) => publishSecurityEvent(deps.bus, deps.logger, event);
  for (const keyId of result.revokedKeys) await publish({ ...base, type: 'key.revoked', detail: { keyId, reason: 'offboarded' } });
  for (const name of result.deletedSecrets) await publish({ ...base, type: 'secret.changed', detail: { name, version: null, change: 'remove' } });
  if (req.mode === 'remove') {
    // The triggers follow this event (src/triggers/index.ts): queue subscriptions and schedules stop.
    await publish({ ...base, type: 'function.removed', detail: { lastVersion: active.version } });
  } else if (!wasDisabled) {
    await publish({ ...base, type: 'function.disabled', detail: { reason: req.reason, killedWorkers: true } });
  }
  await publish({
    ...base, type: 'function.offboarded', version: active.version,
    detail: {
      mode: req.mode, reason: req.reason, revokedKeys: report.revokedKeys, narrowedKeys: report.narrowedKeys,
      deletedSecrets: report.deletedSecrets, keptSecrets: report.keptSecrets,
      kvNamespaces: [...report.purgedKv, ...report.keptKv.map((k) => k.namespace)], kvPurged: report.purgedKv.length > 0,
      purgedKv: report.purgedKv, keptKv: report.keptKv, kvEntriesDeleted: report.kvEntriesDeleted, triggers: report.triggers,
    },
  });
  deps.logger.warn({ requestId: req.requestId, function: req.name, actor: req.actor, mode: req.mode, revokedKeys: report.revokedKeys.length, deletedSecrets: report.deletedSecrets.length }, 'function offboarded');
  return report;
}
