// Grants are meant to be exact: src/manifest/ refuses wildcards in egress, secret and kv names, so
// such a manifest never deploys. The scan says why it matters before a deploy is attempted — and
// also catches the spellings that mean "everything": a grant given as a bare `*` instead of a list,
// `*` or `?` anywhere in a host, a secret, a namespace or a callee (an egress port of `*` included).

import type { ManifestContext } from '../engine/manifest/context.ts';
import { at, entries, items, text, type PNode } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const WILD = /[*?]/;

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-WILDCARD-GRANT',
    engine: 'manifest',
    severity: 'high',
    owasp: 'SAS-4',
    cwe: ['CWE-732'],
    description: 'A wildcard in permissions: egress hosts or ports, secret names, kv namespaces or invoke targets.',
    fix: 'List each host:port, secret, namespace and function the code needs, exactly; `bulwark policy check` suggests the list from the code.',
    messages: {
      wildcard: 'permissions.{{kind}} grants \'{{value}}\': a wildcard gives the function more than its code needs',
    },
    mitigatedBy: ['egress'],
  },
  check(ctx) {
    const permissions = at(ctx.root, 'permissions');
    const flag = (kind: string, node: PNode, value: string) =>
      ctx.report({ messageId: 'wildcard', data: { kind, value }, line: node.line, column: node.column });
    for (const kind of ['egress', 'secrets', 'invoke']) {
      for (const item of items(at(permissions, kind))) {
        const value = text(item);
        if (value !== undefined && WILD.test(value)) flag(kind, item, value);
      }
    }
    const kv = at(permissions, 'kv');
    const bare = text(kv);
    if (bare !== undefined && WILD.test(bare)) flag('kv', kv!, bare);
    for (const e of entries(kv)) if (WILD.test(e.key)) flag('kv', { type: 'scalar', value: e.key, ...e.keyPos }, e.key);
    const all = text(permissions);
    if (all !== undefined && WILD.test(all)) flag('*', permissions!, all);
  },
};
