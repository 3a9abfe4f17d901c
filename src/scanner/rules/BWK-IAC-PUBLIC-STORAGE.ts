// S3 buckets readable or writable by anyone: a public canned ACL, a bucket policy that allows
// Principal '*' without a condition, or a PublicAccessBlockConfiguration that switches a block off.

import type { IacContext } from '../engine/iac/context.ts';
import { entries, get, items, str, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const PUBLIC_ACL = new Set(['PublicRead', 'PublicReadWrite', 'AuthenticatedRead']);
const BLOCKS = ['BlockPublicAcls', 'BlockPublicPolicy', 'IgnorePublicAcls', 'RestrictPublicBuckets'];

function isEveryone(principal: PNode | undefined): boolean {
  if (str(principal) === '*') return true;
  return items(get(principal, 'AWS')).some((p) => str(p) === '*');
}

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-PUBLIC-STORAGE',
    engine: 'iac',
    severity: 'high',
    owasp: 'SAS-3',
    cwe: ['CWE-732', 'CWE-200'],
    description: 'S3 buckets made public by ACL, by a bucket policy for Principal \'*\', or by disabling the public access block.',
    fix: 'Keep all four PublicAccessBlockConfiguration settings true, use AccessControl Private, and grant access to named principals (a CloudFront origin access control, a role).',
    messages: {
      publicAcl: 'bucket {{name}} has AccessControl {{acl}}: its objects are readable by {{who}}',
      publicPolicy: 'bucket policy {{name}} allows {{action}} to Principal \'*\' with no condition',
      blockDisabled: 'bucket {{name}} turns {{setting}} off in its public access block',
    },
  },
  check(ctx) {
    for (const r of ctx.resources) {
      const p = r.properties;
      if (r.type === 'AWS::S3::Bucket') {
        const acl = get(p, 'AccessControl');
        const value = str(acl);
        if (value && PUBLIC_ACL.has(value)) {
          ctx.report({ messageId: 'publicAcl', data: { name: r.id, acl: value, who: value === 'AuthenticatedRead' ? 'every AWS account' : 'anyone' }, line: acl!.line, column: acl!.column });
        }
        for (const e of entries(get(p, 'PublicAccessBlockConfiguration'))) {
          if (BLOCKS.includes(e.key) && e.value.type === 'scalar' && (e.value.value === false || e.value.value === 'false')) {
            ctx.report({ messageId: 'blockDisabled', data: { name: r.id, setting: e.key }, ...e.keyPos });
          }
        }
      } else if (r.type === 'AWS::S3::BucketPolicy') {
        for (const s of items(get(get(p, 'PolicyDocument'), 'Statement'))) {
          if (str(get(s, 'Effect')) !== 'Allow' || get(s, 'Condition') !== undefined) continue;
          const principal = get(s, 'Principal');
          if (!isEveryone(principal)) continue;
          const action = items(get(s, 'Action')).map(str).filter(Boolean).join(', ') || '?';
          ctx.report({ messageId: 'publicPolicy', data: { name: r.id, action }, line: principal!.line, column: principal!.column });
        }
      }
    }
  },
};
