// Lambda encrypts environment variables with an AWS-managed key that every principal allowed to read
// the function configuration can use. A customer managed key (KmsKeyArn) puts decryption behind a key
// policy you control and audit.

import type { IacContext } from '../engine/iac/context.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-ENV-NO-KMS',
    engine: 'iac',
    severity: 'low',
    owasp: 'SAS-7',
    cwe: ['CWE-311'],
    description: 'Functions with environment variables but no customer managed KMS key (KmsKeyArn / kmsKeyArn).',
    fix: 'Set KmsKeyArn (SAM Globals, the function, or serverless provider.kmsKeyArn) to a customer managed key whose policy names who may decrypt.',
    messages: {
      noKms: 'function {{name}} has environment variables but no KmsKeyArn: they are encrypted with the AWS-managed default key',
    },
  },
  check(ctx) {
    const seen = new Set<string>();
    for (const fn of ctx.functions) {
      if (fn.environment.length === 0 || fn.kmsKeyArn) continue;
      const at = fn.environmentAt ?? fn.keyPos;
      const key = `${at.line}:${at.column}`;
      if (seen.has(key)) continue;
      seen.add(key);
      ctx.report({ messageId: 'noKms', data: { name: fn.id }, line: at.line, column: at.column });
    }
  },
};
