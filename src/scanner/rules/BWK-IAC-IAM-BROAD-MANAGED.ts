// Managed policies and SAM policy templates that grant far more than one function needs:
// AdministratorAccess, PowerUserAccess, IAMFullAccess and every *FullAccess policy, SAM's
// *FullAccessPolicy templates, and scoped SAM templates whose scope is '*' (TableName: '*').

import type { IacContext } from '../engine/iac/context.ts';
import { permissionsOf } from '../engine/iac/policies.ts';
import { entries, str, toPlain, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const BROAD = /(^|[/:])(AdministratorAccess|PowerUserAccess|[A-Za-z0-9]*FullAccess(V2)?)(\b|$)/;

/** The policy's name from a literal ARN or name, or from a `!Sub`/`!Join` that builds one. */
function policyText(node: PNode): string | undefined {
  if (node.type === 'scalar') return str(node);
  return JSON.stringify(toPlain(node));
}

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-IAM-BROAD-MANAGED',
    engine: 'iac',
    severity: 'high',
    owasp: 'SAS-4',
    cwe: ['CWE-250'],
    description: 'Over-broad AWS managed policies (AdministratorAccess, PowerUserAccess, *FullAccess) or SAM policy templates scoped to everything.',
    fix: 'Use a scoped SAM policy template (DynamoDBReadPolicy with TableName: !Ref Table) or an inline statement naming the actions and resources needed.',
    messages: {
      broadManaged: '{{owner}} attaches the managed policy {{policy}}: far more than one function needs',
      broadTemplate: '{{owner}} uses the SAM policy template {{policy}}, which grants the whole service',
      unscopedTemplate: '{{owner}} uses the SAM policy template {{policy}} with {{param}}: \'*\' (every resource)',
    },
  },
  check(ctx) {
    const perms = permissionsOf(ctx);
    for (const { node, owner } of perms.managed) {
      const m = BROAD.exec(policyText(node) ?? '');
      if (m) ctx.report({ messageId: 'broadManaged', data: { owner, policy: m[2]! }, line: node.line, column: node.column });
    }
    for (const t of perms.templates) {
      if (/FullAccessPolicy$/.test(t.name) || BROAD.test(t.name)) {
        ctx.report({ messageId: 'broadTemplate', data: { owner: t.owner, policy: t.name }, line: t.keyPos.line, column: t.keyPos.column });
        continue;
      }
      const star = entries(t.arg).find((e) => str(e.value) === '*');
      if (star) ctx.report({ messageId: 'unscopedTemplate', data: { owner: t.owner, policy: t.name, param: star.key }, line: star.keyPos.line, column: star.keyPos.column });
    }
  },
};
