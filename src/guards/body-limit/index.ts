// Refuses a body larger than the function's manifest limit (limits.bodyBytes). The server-wide cap
// (gateway.maxBodyBytes) already stopped anything larger from being buffered; this narrows it per function.

import { BulwarkError } from '../../errors.ts';
import { deny, pass, type Guard, type GuardMeta } from '../types.ts';

export const meta = {
  id: 'body-limit',
  phase: 'admission',
  description: 'Rejects request bodies larger than the function allows',
  errors: ['BWK_E_GUARD_BODY_TOO_LARGE'],
} as const satisfies GuardMeta;

export type BodyLimitOptions = Record<string, never>;

export function create(_opts: BodyLimitOptions = {}): Guard {
  return async function bodyLimit(req) {
    const limit = req.fn.manifest.limits.bodyBytes;
    const size = req.body?.length ?? 0;
    return size > limit ? deny(new BulwarkError('BWK_E_GUARD_BODY_TOO_LARGE', [limit], { size })) : pass();
  };
}
