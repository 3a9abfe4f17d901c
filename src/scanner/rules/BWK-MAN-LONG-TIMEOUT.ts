// A long timeout multiplies what each request can cost and how long an attacker can hold a worker:
// with the budget guard reserving the worst case, it also shrinks how many calls a budget admits.
// The threshold is an option (`maxTimeout`, default 30s).

import type { ManifestContext } from '../engine/manifest/context.ts';
import { at, entry, text } from '../engine/yaml-tree.ts';
import type { Rule } from '../types.ts';

const DEFAULT_MAX_MS = 30_000;

function durationMs(s: string): number | undefined {
  const m = /^([0-9]+)(ms|s|m)$/.exec(s.trim());
  if (!m) return undefined;
  return Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
}

export const rule: Rule<ManifestContext> = {
  meta: {
    id: 'BWK-MAN-LONG-TIMEOUT',
    engine: 'manifest',
    severity: 'low',
    owasp: 'SAS-8',
    cwe: ['CWE-400'],
    description: 'limits.timeout above the threshold (30s unless configured).',
    fix: 'Lower limits.timeout to what the handler needs; move long work to a queue trigger that processes smaller pieces.',
    messages: {
      longTimeout: 'limits.timeout {{timeout}} is above {{max}}: each call can hold a worker and cost that long',
    },
    mitigatedBy: ['concurrency', 'budget'],
  },
  check(ctx) {
    const option = ctx.options.maxTimeout;
    const max = typeof option === 'number' ? option : typeof option === 'string' ? durationMs(option) ?? DEFAULT_MAX_MS : DEFAULT_MAX_MS;
    const timeout = entry(at(ctx.root, 'limits'), 'timeout');
    const value = text(timeout?.value);
    const ms = value === undefined ? undefined : durationMs(value);
    if (timeout && ms !== undefined && ms > max) {
      ctx.report({ messageId: 'longTimeout', data: { timeout: value!, max: `${max / 1000}s` }, line: timeout.keyPos.line, column: timeout.keyPos.column });
    }
  },
};
