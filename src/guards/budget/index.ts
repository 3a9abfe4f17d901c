// Denial of wallet: an attacker who cannot take a function down can still run up its bill. This guard
// admits an invocation only when every budget it is charged to — the caller's share of the function,
// the function, the caller across all functions, all functions together — can pay for its worst case,
// and reserves that worst case until the invocation is metered (src/metering/ledger.ts). The brakes
// come in tiers (src/metering/brakes.ts): alerts at 50% and 80%, then a throttle tier in which callers
// without good standing may spend only up to a lower ceiling, so callers with a good history keep a
// guaranteed share, then a hard stop when the budget left cannot pay for one more worst case.
// After authn (the caller is known) and the input checks (a refused request costs nothing), before
// concurrency (a request waiting for a permit already holds its reservation, so the two never race).

import { BulwarkError } from '../../errors.ts';
import type { SpendLedger } from '../../metering/ledger.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'budget',
  phase: 'capacity',
  description: 'Refuses invocations a budget cannot pay for, throttling callers without a good history first',
  errors: ['BWK_E_GUARD_BUDGET_EXHAUSTED', 'BWK_E_GUARD_BUDGET_THROTTLED'],
} as const satisfies GuardMeta;

export type BudgetOptions = Record<string, never>;

export function create(_opts: BudgetOptions, deps: { ledger: Pick<SpendLedger, 'admit'> }): Guard {
  return async function budget(req) {
    const admission = await deps.ledger.admit(req);
    if (admission.admitted) return pass({ release: admission.release });
    const code = admission.reason === 'exhausted' ? 'BWK_E_GUARD_BUDGET_EXHAUSTED' : 'BWK_E_GUARD_BUDGET_THROTTLED';
    // The rule (which scope refused) is recorded with the refusal; the caller learns only the code.
    return deny(new BulwarkError(code, [req.fn.name], { scope: admission.scope }), {
      rule: admission.scope,
      headers: { 'retry-after': String(admission.retryAfterSec) },
    });
  };
}
