// A runtime dependency nothing in the project uses: it still ships in the bundle's node_modules, runs
// its install scripts and brings its advisories, for no benefit. Only `dependencies` are checked:
// devDependencies are build tools that configuration files, not imports, tend to name.

import type { DepsContext } from '../engine/deps/context.ts';
import type { Rule } from '../types.ts';

export const rule: Rule<DepsContext> = {
  meta: {
    id: 'BWK-DEP-UNUSED',
    engine: 'deps',
    severity: 'low',
    owasp: 'SAS-6',
    cwe: ['CWE-1164'],
    description: 'A package declared in package.json dependencies is never imported or required by the project sources, nor run by its scripts.',
    fix: 'Remove the dependency (npm uninstall <name>), or move it to devDependencies if only tooling needs it.',
    messages: {
      unused: '{{name}} is declared in dependencies but no source file imports or requires it and no script runs it',
    },
  },
  check(context) {
    for (const project of context.projects) {
      const deps = project.manifest?.json.dependencies;
      if (typeof deps !== 'object' || deps === null) continue;
      const used = context.usedPackages(project);
      if (!used) continue;
      for (const name of Object.keys(deps)) {
        // Type packages are used by the compiler only, never imported by name.
        if (name.startsWith('@types/') || used.has(name)) continue;
        context.report({ messageId: 'unused', file: project.manifest!.file, line: project.manifest!.lineOf(name), column: 1, data: { name } });
      }
    }
  },
};
