// IAM statements that allow every action (`*`) or every action of a service (`s3:*`), or that allow
// write actions on every resource (`Resource: '*'`). A compromised function holds whatever its role
// holds. Read-only actions on `*` and the few actions AWS only accepts on `*` are not flagged.

import type { IacContext } from '../engine/iac/context.ts';
import { permissionsOf } from '../engine/iac/policies.ts';
import { get, items, str, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const READ = /^[a-z0-9-]+:(Get|List|Describe|Head|BatchGet|Query|Scan|Search|Select|Lookup|Filter|View|Read)[A-Za-z]*$/;
// Actions that take no resource-level scoping: AWS requires Resource '*' for them.
const STAR_ONLY = new Set([
  'xray:puttracesegments', 'xray:puttelemetryrecords', 'cloudwatch:putmetricdata',
  'ec2:createnetworkinterface', 'ec2:deletenetworkinterface', 'ec2:assignprivateipaddresses',
  'ec2:unassignprivateipaddresses', 'sts:getcalleridentity', 'kms:createkey',
]);

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-IAM-WILDCARD',
    engine: 'iac',
    severity: 'high',
    owasp: 'SAS-4',
    cwe: ['CWE-732', 'CWE-250'],
    description: 'IAM policy statements allowing `*` or `service:*` actions, or write actions on Resource `*`.',
    fix: 'Name the actions the function calls and the ARNs it touches (`!GetAtt Table.Arn`, `!Sub arn:aws:s3:::${Bucket}/*`).',
    messages: {
      wildcardAction: '{{owner}} allows action \'{{action}}\': every {{scope}} action is granted',
      wildcardResource: '{{owner}} allows write action \'{{action}}\' on Resource \'*\' (every resource in the account)',
    },
  },
  check(ctx) {
    for (const { node, owner } of permissionsOf(ctx).statements) {
      if (node.type !== 'map' || str(get(node, 'Effect')) !== 'Allow') continue;
      const actions = items(get(node, 'Action')).map((a) => ({ node: a, value: str(a) }));
      const wild = actions.find((a) => a.value !== undefined && (a.value === '*' || /^[a-z0-9-]+:\*$/i.test(a.value)));
      if (wild) {
        ctx.report({ messageId: 'wildcardAction', data: { owner, action: wild.value!, scope: wild.value === '*' ? 'AWS' : wild.value!.split(':')[0]! }, line: wild.node.line, column: wild.node.column });
        continue;
      }
      const resource = items(get(node, 'Resource')).find((r: PNode) => str(r) === '*');
      if (!resource) continue;
      const write = actions.find((a) => a.value !== undefined && !READ.test(a.value) && !STAR_ONLY.has(a.value.toLowerCase()));
      if (write) ctx.report({ messageId: 'wildcardResource', data: { owner, action: write.value! }, line: resource.line, column: resource.column });
    }
  },
};
