// Without a budget a function is metered but never capped: a flood of valid requests (or a loop
// between functions) turns into an unbounded bill. The budget guard can only stop what has a limit.

import type { ManifestContext } from '../engine/manifest/context.ts';
import { entry } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-NO-BUDGET',
    engine: 'manifest',
    severity: 'low',
    owasp: 'SAS-8',
    cwe: ['CWE-770'],
    description: 'A manifest without a budget block, so the function\'s spend is never capped.',
    fix: 'Add `budget: { limit: 5.00, period: month, perCaller: 0.50 }` sized to what the function should cost.',
    messages: {
      noBudget: 'function {{name}} has no budget: its spend is metered but never capped (denial of wallet)',
    },
    mitigatedBy: ['rate-limit', 'concurrency'],
  },
  check(ctx) {
    if (entry(ctx.root, 'budget')) return;
    const name = entry(ctx.root, 'name');
    const where = name ? name.keyPos : { line: ctx.root.line, column: ctx.root.column };
    ctx.report({ messageId: 'noBudget', data: { name: name && name.value.type === 'scalar' ? String(name.value.value) : '?' }, ...where });
  },
};
