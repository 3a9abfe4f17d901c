// A dependency that runs code at install time (preinstall/install/postinstall, node-gyp builds): the
// classic way a hijacked package gets onto a build machine, before any of its code is ever imported.
// npm 11's package.json `allowScripts` (and pnpm's `onlyBuiltDependencies` / `neverBuiltDependencies`)
// let a project decide per package. Our reading: a package the project has explicitly denied is not
// reported (its scripts never run); one it has explicitly allowed is reported at low severity, as a
// reviewed exception worth keeping visible; one it has said nothing about is reported at medium.

import semver from 'semver';
import type { DepsContext, InstalledPackage, Project } from '../engine/deps/context.ts';
import { viaText } from '../engine/deps/graph.ts';
import type { Rule } from '../types.ts';

type Decision = 'allowed' | 'denied' | undefined;

/** The project's decision about one package: `allowScripts` keys are `name` or `name@range`. */
function decision(project: Project, pkg: InstalledPackage): Decision {
  const json = project.manifest?.json;
  const allow = json?.allowScripts;
  if (typeof allow === 'object' && allow !== null) {
    for (const [key, value] of Object.entries(allow)) {
      const at = key.indexOf('@', 1);
      const name = at === -1 ? key : key.slice(0, at);
      if (name !== pkg.name) continue;
      if (at !== -1 && !semver.satisfies(pkg.version, key.slice(at + 1))) continue;
      return value === true ? 'allowed' : value === false ? 'denied' : undefined;
    }
  }
  const pnpm = json?.pnpm as { onlyBuiltDependencies?: unknown; neverBuiltDependencies?: unknown } | undefined;
  if (Array.isArray(pnpm?.neverBuiltDependencies) && pnpm.neverBuiltDependencies.includes(pkg.name)) return 'denied';
  if (Array.isArray(pnpm?.onlyBuiltDependencies)) return pnpm.onlyBuiltDependencies.includes(pkg.name) ? 'allowed' : 'denied';
  return undefined;
}

export const rule: Rule<DepsContext> = {
  meta: {
    id: 'BWK-DEP-INSTALL-SCRIPT',
    engine: 'deps',
    severity: 'medium',
    owasp: 'SAS-6',
    cwe: ['CWE-829'],
    description: 'A dependency runs install scripts (lockfile hasInstallScript / requiresBuild) that the project has not denied.',
    fix: 'Deny it in package.json "allowScripts" ("name": false) and install with scripts off; if it needs its build, review it and allow it explicitly.',
    messages: {
      installScript: '{{name}}@{{version}} runs install scripts on npm install and package.json allowScripts does not decide about it ({{via}})',
      allowedInstallScript: '{{name}}@{{version}} runs install scripts, allowed by package.json ({{via}})',
    },
  },
  check(context) {
    for (const project of context.projects) {
      for (const pkg of project.packages) {
        if (!pkg.installScript) continue;
        const d = decision(project, pkg);
        if (d === 'denied') continue;
        context.report({
          messageId: d === 'allowed' ? 'allowedInstallScript' : 'installScript',
          file: pkg.file,
          line: pkg.line,
          column: 1,
          ...(d === 'allowed' ? { severity: 'low' as const } : {}),
          data: { name: pkg.name, version: pkg.version, via: viaText(pkg) },
        });
      }
    }
  },
};
