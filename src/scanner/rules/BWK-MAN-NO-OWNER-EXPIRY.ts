// Every function needs someone who answers for it and a day it stops unless renewed: forgotten
// functions with stale grants are how serverless estates rot. A function declared never to expire
// (`expires: never` with `expiresReason`) is allowed by the manifest, and reported at low severity,
// with its reason, so the decision stays visible.

import type { ManifestContext } from '../engine/manifest/context.ts';
import { entry, text } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-NO-OWNER-EXPIRY',
    engine: 'manifest',
    severity: 'medium',
    owasp: 'SAS-3',
    cwe: ['CWE-1059'],
    description: 'A manifest without an owner or an expiry date, or one that never expires.',
    fix: 'Set `owner:` to the team\'s address and `expires:` to a date at most a year ahead; renew it on purpose.',
    messages: {
      missingOwner: 'the manifest names no owner: nobody answers for this function',
      missingExpiry: 'the manifest has no expires date: the function runs until someone remembers it',
      neverExpires: 'expires: never — this function is never disabled automatically (reason: {{reason}}); review it regularly',
    },
  },
  check(ctx) {
    const top = { line: ctx.root.line, column: ctx.root.column };
    const owner = entry(ctx.root, 'owner');
    if (!owner || !text(owner.value)?.trim()) ctx.report({ messageId: 'missingOwner', ...(owner ? owner.keyPos : top) });
    const expires = entry(ctx.root, 'expires');
    const value = text(expires?.value)?.trim();
    if (!expires || !value) ctx.report({ messageId: 'missingExpiry', ...(expires ? expires.keyPos : top) });
    else if (value.toLowerCase() === 'never') {
      const reason = text(entry(ctx.root, 'expiresReason')?.value)?.trim();
      ctx.report({ messageId: 'neverExpires', severity: 'low', data: { reason: reason || 'none given' }, ...expires.keyPos });
    }
  },
};
