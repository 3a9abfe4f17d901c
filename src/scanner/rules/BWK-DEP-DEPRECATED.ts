// A package its author has deprecated on the registry, as the lockfile recorded at install time
// (package-lock v2/v3 `deprecated`, pnpm `deprecated`; yarn.lock does not keep the notice).
// Deprecated packages stop receiving fixes, so the next advisory against them may never be fixed.

import type { DepsContext } from '../engine/deps/context.ts';
import { viaText } from '../engine/deps/graph.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<DepsContext> = {
  meta: {
    id: 'BWK-DEP-DEPRECATED',
    engine: 'deps',
    severity: 'low',
    owasp: 'SAS-6',
    cwe: ['CWE-1104'],
    description: 'An installed dependency is marked deprecated by its author in the lockfile.',
    fix: 'Move to the replacement the deprecation notice names, or upgrade the parent that pulls the package in.',
    messages: {
      deprecated: '{{name}}@{{version}} is deprecated: "{{reason}}" ({{via}})',
    },
  },
  check(context) {
    for (const project of context.projects) {
      for (const pkg of project.packages) {
        if (pkg.deprecated === undefined) continue;
        const reason = pkg.deprecated.length > 160 ? `${pkg.deprecated.slice(0, 157)}...` : pkg.deprecated;
        context.report({ messageId: 'deprecated', file: pkg.file, line: pkg.line, column: 1, data: { name: pkg.name, version: pkg.version, reason, via: viaText(pkg) } });
      }
    }
  },
};
