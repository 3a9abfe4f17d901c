// A package installed at a version that a known advisory (OSV) covers. Reported on the lockfile entry,
// once per advisory, at the advisory's own severity, with the version that fixes it and the chain of
// dependencies that pulls the package in (a transitive one is fixed by upgrading its parent).

import type { DepsContext } from '../engine/deps/context.ts';
import { viaText } from '../engine/deps/graph.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<DepsContext> = {
  meta: {
    id: 'BWK-DEP-VULN',
    engine: 'deps',
    severity: 'high',
    owasp: 'SAS-6',
    cwe: ['CWE-1395', 'CWE-937'],
    description: 'An installed dependency (direct or transitive) has a version with a known security advisory.',
    fix: 'Upgrade the package, or the direct dependency that pulls it in, to the fixed version or later; with no fix, replace or remove it.',
    messages: {
      vulnerable: '{{name}}@{{version}} has known vulnerability {{id}}{{aliasNote}}: {{summary}}. Fixed in {{fixed}} ({{via}})',
      noFix: '{{name}}@{{version}} has known vulnerability {{id}}{{aliasNote}}: {{summary}}. No fixed version is published ({{via}})',
    },
  },
  check(context) {
    if (context.advisories.size === 0) return;
    for (const project of context.projects) {
      for (const pkg of project.packages) {
        for (const adv of context.advisories.match(pkg.name, pkg.version)) {
          const aliases = adv.aliases.filter((a) => a !== adv.id);
          context.report({
            messageId: adv.fixed ? 'vulnerable' : 'noFix',
            file: pkg.file,
            line: pkg.line,
            column: 1,
            severity: adv.severity,
            data: {
              name: pkg.name,
              version: pkg.version,
              id: adv.id,
              aliases: aliases.join(', '),
              aliasNote: aliases.length > 0 ? ` (${aliases.join(', ')})` : '',
              summary: adv.summary || 'no summary',
              fixed: adv.fixed ?? '',
              via: viaText(pkg),
              path: pkg.path.join(' > '),
            },
          });
        }
      }
    }
  },
};
