// Turns a rule's fixture corpus (test/fixtures/scanner-corpus/<rule-id>/{vulnerable,safe}/<case>/) into
// rule-tester cases, so every corpus case is also a unit test of its rule: safe cases must produce no
// finding of the rule, vulnerable ones exactly the findings listed (one `messageId` finding by default).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ExpectedFinding, InvalidRuleCase, RuleCase } from '../../../src/scanner/rule-tester.ts';

const corpus = join(import.meta.dirname, '..', '..', 'fixtures', 'scanner-corpus');

function filesUnder(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[relative(dir, p).replaceAll('\\', '/')] = readFileSync(p, 'utf8');
    }
  };
  walk(dir);
  return out;
}

function casesOf(ruleId: string, kind: 'vulnerable' | 'safe'): { name: string; files: Record<string, string> }[] {
  const dir = join(corpus, ruleId, kind);
  return readdirSync(dir).sort().map((name) => ({ name: `corpus ${kind}/${name}`, files: filesUnder(join(dir, name)) }));
}

export function corpusCases(
  ruleId: string,
  expected: { messageId: string; overrides?: Record<string, ExpectedFinding[]> },
): { valid: RuleCase[]; invalid: InvalidRuleCase[] } {
  return {
    valid: casesOf(ruleId, 'safe'),
    invalid: casesOf(ruleId, 'vulnerable').map((c) => ({
      ...c,
      errors: expected.overrides?.[c.name.replace(/^corpus vulnerable\//, '')] ?? [{ messageId: expected.messageId }],
    })),
  };
}
