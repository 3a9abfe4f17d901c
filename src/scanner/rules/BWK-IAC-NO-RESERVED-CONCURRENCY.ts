// A function without reserved concurrency scales to the account's limit: a flood of requests is paid
// for in full (denial of wallet) and starves every other function in the account.

import type { IacContext } from '../engine/iac/context.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-NO-RESERVED-CONCURRENCY',
    engine: 'iac',
    severity: 'medium',
    owasp: 'SAS-8',
    cwe: ['CWE-770'],
    description: 'Lambda functions without ReservedConcurrentExecutions / reservedConcurrency.',
    fix: 'Set ReservedConcurrentExecutions (SAM, CloudFormation; or in SAM Globals) or reservedConcurrency (serverless) to the most the function should ever run at once.',
    messages: {
      noReserved: 'function {{name}} has no reserved concurrency: it can scale (and bill) up to the account limit',
    },
    mitigatedBy: ['concurrency', 'budget'],
  },
  check(ctx) {
    for (const fn of ctx.functions) {
      if (!fn.reservedConcurrency) ctx.report({ messageId: 'noReserved', data: { name: fn.id }, ...fn.keyPos });
    }
  },
};
