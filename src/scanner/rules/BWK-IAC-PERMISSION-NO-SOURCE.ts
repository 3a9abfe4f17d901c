// A resource-based permission that lets a service principal (s3.amazonaws.com, sns.amazonaws.com …)
// invoke a function without SourceArn or SourceAccount lets that service invoke it on behalf of any
// resource in any account: the confused-deputy problem.

import type { IacContext } from '../engine/iac/context.ts';
import { get, str, text } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-PERMISSION-NO-SOURCE',
    engine: 'iac',
    severity: 'medium',
    owasp: 'SAS-4',
    cwe: ['CWE-441'],
    description: 'AWS::Lambda::Permission for a service principal without SourceArn or SourceAccount.',
    fix: 'Add SourceArn (the bucket, topic, rule or API ARN) and, for S3, SourceAccount: !Ref AWS::AccountId.',
    messages: {
      noSource: 'permission {{name}} lets {{principal}} invoke the function for any source: add SourceArn or SourceAccount',
    },
  },
  check(ctx) {
    for (const r of ctx.resources) {
      if (r.type !== 'AWS::Lambda::Permission') continue;
      const p = r.properties;
      const principalNode = get(p, 'Principal');
      const principal = str(principalNode) ?? text(principalNode);
      if (!principal || !/\.amazonaws\.com(\.cn)?$/.test(principal)) continue;
      if (get(p, 'SourceArn') !== undefined || get(p, 'SourceAccount') !== undefined) continue;
      ctx.report({ messageId: 'noSource', data: { name: r.id, principal }, line: principalNode!.line, column: principalNode!.column });
    }
  },
};
