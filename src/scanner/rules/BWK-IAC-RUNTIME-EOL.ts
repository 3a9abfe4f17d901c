// Runtimes past AWS Lambda's deprecation date get no security patches; soon after, functions on them
// can no longer be updated. The table is data, kept here: AWS's published deprecation dates (where AWS
// has not published one, the language's own end of life). A runtime within 180 days of its date is
// reported at low severity so the upgrade is planned, not forced.

import type { IacContext } from '../engine/iac/context.ts';
import { str } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

/** Runtime identifier → deprecation date (YYYY-MM-DD). */
export const runtimeDeprecation: Record<string, string> = {
  'nodejs': '2016-10-31', 'nodejs4.3': '2020-03-05', 'nodejs4.3-edge': '2019-04-30', 'nodejs6.10': '2019-08-12',
  'nodejs8.10': '2020-03-06', 'nodejs10.x': '2021-07-30', 'nodejs12.x': '2023-03-31', 'nodejs14.x': '2023-12-04',
  'nodejs16.x': '2024-06-12', 'nodejs18.x': '2025-09-01', 'nodejs20.x': '2026-04-30', 'nodejs22.x': '2027-04-30',
  'nodejs24.x': '2028-04-30',
  'python2.7': '2021-07-15', 'python3.6': '2022-07-18', 'python3.7': '2023-12-04', 'python3.8': '2024-10-14',
  'python3.9': '2025-12-15', 'python3.10': '2026-06-30', 'python3.11': '2026-06-30', 'python3.12': '2028-10-31',
  'python3.13': '2029-06-30', 'python3.14': '2029-06-30',
  'java8': '2024-01-08', 'java8.al2': '2026-06-30', 'java11': '2026-06-30', 'java17': '2026-06-30', 'java21': '2029-06-30',
  'java25': '2029-06-30',
  'dotnetcore1.0': '2019-06-27', 'dotnetcore2.0': '2019-05-30', 'dotnetcore2.1': '2022-01-05', 'dotnetcore3.1': '2023-04-03',
  'dotnet5.0': '2022-05-10', 'dotnet6': '2024-12-20', 'dotnet7': '2024-05-14', 'dotnet8': '2026-11-10', 'dotnet10': '2028-11-14',
  'ruby2.5': '2021-07-30', 'ruby2.7': '2023-12-07', 'ruby3.2': '2026-03-31', 'ruby3.3': '2027-03-31', 'ruby3.4': '2028-03-31',
  'go1.x': '2024-01-08', 'provided': '2024-01-08', 'provided.al2': '2026-06-30', 'provided.al2023': '2029-06-30',
};

const SOON_DAYS = 180;

export const rule: Rule<IacContext> = {
  meta: {
    id: 'BWK-IAC-RUNTIME-EOL',
    engine: 'iac',
    severity: 'medium',
    owasp: 'SAS-6',
    cwe: ['CWE-1104'],
    description: 'Lambda runtimes past (or within 180 days of) their end-of-life / deprecation date.',
    fix: 'Move to a supported runtime (nodejs24.x, python3.12 or later, java21, dotnet10, ruby3.4, provided.al2023).',
    messages: {
      deprecated: 'function {{name}} uses runtime {{runtime}}, deprecated since {{date}}: it no longer gets security patches',
      soon: 'function {{name}} uses runtime {{runtime}}, deprecated on {{date}}: plan the upgrade',
    },
  },
  check(ctx) {
    // The scan date; an option so results are reproducible (and testable) on any day.
    const today = typeof ctx.options.today === 'string' ? ctx.options.today : new Date().toISOString().slice(0, 10);
    const soon = new Date(Date.parse(`${today}T00:00:00Z`) + SOON_DAYS * 86_400_000).toISOString().slice(0, 10);
    const seen = new Set<string>();
    for (const fn of ctx.functions) {
      const node = fn.runtime?.node;
      const runtime = str(node);
      const date = runtime === undefined ? undefined : runtimeDeprecation[runtime];
      if (!date || !node) continue;
      // A Globals/provider runtime shared by many functions is one thing to fix: reported once.
      const key = `${node.line}:${node.column}`;
      if (seen.has(key)) continue;
      seen.add(key);
      const name = fn.runtime!.from === 'function' ? fn.id : `${fn.id} (and others sharing the ${fn.runtime!.from} runtime)`;
      if (date <= today) ctx.report({ messageId: 'deprecated', data: { name, runtime: runtime!, date }, line: node.line, column: node.column });
      else if (date <= soon) ctx.report({ messageId: 'soon', severity: 'low', data: { name, runtime: runtime!, date }, line: node.line, column: node.column });
    }
  },
};
