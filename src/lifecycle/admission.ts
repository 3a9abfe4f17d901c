// The one check every event source makes before it hands an event to the guard chain: the function's
// manifest is not past its expiry date (410 BWK_E_GATEWAY_FUNCTION_EXPIRED) and it is not disabled
// (403 BWK_E_GATEWAY_FUNCTION_DISABLED, src/lifecycle/disable.ts). HTTP (src/gateway/invoke.ts), queue
// and schedule deliveries (src/triggers/delivery.ts) and function-to-function calls
// (src/gateway/function-calls.ts) all call it, so no source can reach a function the others refuse.

import { BulwarkError } from '../errors.ts';
import { isExpired } from '../manifest/parse.ts';
import type { FunctionLifecycleStore, FunctionVersion } from '../store/store.ts';

export type DisabledLookup = Pick<FunctionLifecycleStore, 'disabled'>;

/**
 * The refusal for a function that must not run now (disabled or expired), or undefined when it may.
 * A failing store read is thrown, not returned: it says nothing about the function, and a source that
 * retries (src/triggers/delivery.ts) must retry it rather than treat it as a refusal.
 */
export async function refusalOf(lifecycle: DisabledLookup, fn: Pick<FunctionVersion, 'name' | 'manifest'>): Promise<BulwarkError | undefined> {
  // Disabled first: an admin's decision (or the sweep's, for an expired function) is the answer that
  // says what happened; the expiry check still covers the hours before the next sweep.
  const disabled = await lifecycle.disabled(fn.name);
  if (disabled) return new BulwarkError('BWK_E_GATEWAY_FUNCTION_DISABLED', [fn.name], { disabledAt: disabled.at, by: disabled.actor });
  if (isExpired(fn.manifest)) return new BulwarkError('BWK_E_GATEWAY_FUNCTION_EXPIRED', [fn.name], { expires: fn.manifest.expires });
  return undefined;
}

/** Throws the refusal for a function that must not run now; resolves when it may. */
export async function assertInvocable(lifecycle: DisabledLookup, fn: Pick<FunctionVersion, 'name' | 'manifest'>): Promise<void> {
  const refusal = await refusalOf(lifecycle, fn);
  if (refusal) throw refusal;
}
