// Least privilege at scan time: a secret, egress host, kv namespace or callee the manifest grants but
// no source file of the function names is over-privilege (a compromised handler could use it). The
// code is read with src/policy/references.ts, as `bulwark policy check` reads the deployed bundle.
// Where the code computes names at run time the rule stays silent for that capability.

import type { ManifestContext } from '../engine/manifest/context.ts';
import { at, entries, items, text, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-UNUSED-GRANT',
    engine: 'manifest',
    severity: 'medium',
    owasp: 'SAS-4',
    cwe: ['CWE-250'],
    description: 'A capability granted in permissions that the function\'s code never references.',
    fix: 'Remove the grant, or add the code that needs it in the same change.',
    messages: {
      unused: 'permissions.{{kind}} grants \'{{value}}\' but no source file of the function references it',
    },
  },
  check(ctx) {
    const permissions = at(ctx.root, 'permissions');
    if (!permissions) return;
    const refs = ctx.codeReferences();
    if (!refs || refs.files.length === 0) return;
    const flag = (kind: string, node: { line: number; column: number }, value: string) =>
      ctx.report({ messageId: 'unused', data: { kind, value }, line: node.line, column: node.column });
    const scan = (kind: 'secrets' | 'egress' | 'invoke', used: Set<string>, normalise: (v: string) => string) => {
      if (refs.dynamic[kind] > 0) return;
      for (const item of items(at(permissions, kind)) as PNode[]) {
        const value = text(item);
        if (value !== undefined && !/[*?]/.test(value) && !used.has(normalise(value))) flag(kind, item, value);
      }
    };
    scan('secrets', refs.secrets, (v) => v);
    scan('egress', refs.egress, (v) => v.toLowerCase());
    scan('invoke', refs.invoke, (v) => v);
    if (refs.dynamic.kv === 0) {
      for (const e of entries(at(permissions, 'kv'))) if (!/[*?]/.test(e.key) && !refs.kv.has(e.key)) flag('kv', e.keyPos, e.key);
    }
  },
};
