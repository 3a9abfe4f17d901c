// Refuses requests from blocked client addresses, before anything else: a blocked attacker costs the
// gateway one map lookup. Blocks are made by the abuse scorer (src/abuse/scorer.ts) from the security
// events an address caused, or by an admin; src/abuse/blocklist.ts holds them. The refusal says nothing
// about why (no reason, no expiry, no Retry-After): that is for the operator, in the block's record.
//
// The same check refuses blocked addresses on every route that invokes no function (the admin API,
// /healthz, unknown paths) through GuardChain.admit: blockedRefusal below is that one check.

import { BulwarkError } from '../../errors.ts';
import type { Blocklist } from '../../abuse/blocklist.ts';
import { deny, pass, type Deny, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'ip-block',
  phase: 'admission',
  description: 'Refuses requests from client addresses that are blocked, automatically or by an admin',
  errors: ['BWK_E_GUARD_IP_BLOCKED'],
} as const satisfies GuardMeta;

export type IpBlockOptions = Record<string, never>;

export interface IpBlockDeps {
  blocklist: Pick<Blocklist, 'blocked'>;
}

/** The block check: a denial when `address` is blocked (rule: the block's kind), else undefined. */
export function blockedRefusal(blocklist: IpBlockDeps['blocklist'], address: string): Deny | undefined {
  const block = blocklist.blocked(address);
  if (!block) return undefined;
  return deny(new BulwarkError('BWK_E_GUARD_IP_BLOCKED', [], { address, kind: block.kind, expiresAt: block.expiresAt }), { rule: block.kind });
}

export function create(_opts: IpBlockOptions, deps: IpBlockDeps): Guard {
  return async function ipBlock(req) {
    // A scheduled run has no client; a queue message carries its publisher's address and is refused
    // like the publisher's own requests.
    if (req.source === 'schedule') return pass();
    return blockedRefusal(deps.blocklist, req.sourceIp) ?? pass();
  };
}
