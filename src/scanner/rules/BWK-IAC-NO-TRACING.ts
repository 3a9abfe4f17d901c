// Without active X-Ray tracing, an attack that moves through several functions leaves no joined-up
// trail: each function's logs stand alone.

import type { IacContext } from '../engine/iac/context.ts';
import { isTrue, str } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-NO-TRACING',
    engine: 'iac',
    severity: 'low',
    owasp: 'SAS-5',
    cwe: ['CWE-778'],
    description: 'Lambda functions without active tracing (Tracing: Active, TracingConfig.Mode Active, serverless tracing.lambda: true).',
    fix: 'Set Tracing: Active (SAM Globals.Function), TracingConfig: { Mode: Active } (CloudFormation) or provider.tracing.lambda: true (serverless).',
    messages: {
      noTracing: 'function {{name}} does not have active tracing: its invocations cannot be followed across services',
    },
  },
  check(ctx) {
    for (const fn of ctx.functions) {
      const t = fn.tracing?.node;
      if (str(t) === 'Active' || isTrue(t)) continue;
      const where = t && t.type === 'scalar' ? t : fn.keyPos;
      ctx.report({ messageId: 'noTracing', data: { name: fn.id }, line: where.line, column: where.column });
    }
  },
};
