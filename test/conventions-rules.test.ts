// scripts/check-conventions.ts over a small real repository layout: a scanner rule without its
// registry entry, test, docs page (with the six headings in order), or with meta.id different from its
// file name fails with one line per problem; a stale docs/rules/README.md fails too.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { checkConventions, ruleDocHeadings } from '../scripts/check-conventions.ts';
import { ruleReference } from '../scripts/rule-docs.ts';
import type { Rule } from '../src/scanner/types.ts';

const ruleModule = (id: string) => `export const rule = { meta: ${JSON.stringify({
  id, engine: 'js', severity: 'high', owasp: 'SAS-1', cwe: ['CWE-78'], description: `${id} finds things.`, fix: 'Fix.', messages: { m: 'm' }, mitigatedBy: ['injection'],
})}, check() {} };\n`;
const goodDoc = ruleDocHeadings.map((h) => `${h}\n\ntext\n`).join('\n');

test('check-conventions: scanner rules need a registry entry, a test, a docs page with the fixed outline, a matching meta.id and a current reference', async (t) => {
  const repo = await mkdtemp(join(tmpdir(), 'bwk-conv-'));
  t.after(() => rm(repo, { recursive: true, force: true }));
  const files: Record<string, string> = {
    'package.json': '{"type":"module"}',
    'src/scanner/rules/BWK-OK-ONE.ts': ruleModule('BWK-OK-ONE'),
    'src/scanner/rules/BWK-BAD-ID.ts': ruleModule('BWK-OTHER-ID'),
    'src/scanner/rules/BWK-NO-ENTRY.ts': ruleModule('BWK-NO-ENTRY'),
    'src/scanner/rules/index.ts': [
      "import { rule as a } from './BWK-OK-ONE.ts';",
      "import { rule as b } from './BWK-BAD-ID.ts';",
      'export const rules = { "BWK-OK-ONE": a, "BWK-BAD-ID": b, "BWK-GHOST": a };',
    ].join('\n'),
    'test/rules/BWK-OK-ONE.test.ts': '',
    'test/rules/BWK-NO-ENTRY.test.ts': '',
    'docs/rules/BWK-OK-ONE.md': goodDoc,
    'docs/rules/BWK-BAD-ID.md': goodDoc.replace('## Options', '## Settings'),
    'docs/rules/BWK-NO-ENTRY.md': [...ruleDocHeadings].reverse().join('\n\n'),
    'docs/errors.md': '',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(repo, rel)), { recursive: true });
    await writeFile(join(repo, rel), text);
  }
  const problems = (await checkConventions(repo)).filter((p) => p.includes('rules'));
  assert.deepEqual(problems, [
    'src/scanner/rules/BWK-BAD-ID.ts: meta.id is "BWK-OTHER-ID", must equal the file name "BWK-BAD-ID"',
    'test/rules/BWK-BAD-ID.test.ts is missing: every rule has valid and invalid cases (testRule)',
    'docs/rules/BWK-BAD-ID.md: level-2 headings must be exactly ## What it catches, ## Vulnerable example, ## Safe example, ## Options, ## Known limitations, ## References in this order (found ## What it catches, ## Vulnerable example, ## Safe example, ## Settings, ## Known limitations, ## References)',
    'src/scanner/rules/index.ts: rule "BWK-NO-ENTRY" is not in the registry (add it, sorted)',
    'docs/rules/BWK-NO-ENTRY.md: level-2 headings must be exactly ## What it catches, ## Vulnerable example, ## Safe example, ## Options, ## Known limitations, ## References in this order (found ## References, ## Known limitations, ## Options, ## Safe example, ## Vulnerable example, ## What it catches)',
    'src/scanner/rules/index.ts: registry entry "BWK-GHOST" has no file src/scanner/rules/BWK-GHOST.ts',
    'src/scanner/rules/index.ts: registry keys must be sorted',
    'docs/rules/README.md is out of date: run npm run docs:rules',
  ]);

  // The generated reference: one row per rule, with severity, OWASP, CWE, engine, guard and description.
  const { rules } = (await import(join(repo, 'src/scanner/rules/index.ts'))) as { rules: Record<string, Rule<unknown>> };
  const reference = ruleReference(rules);
  assert.match(reference, /\| \[BWK-OK-ONE\]\(BWK-OK-ONE\.md\) \| high \| SAS-1 Function event-data injection \| CWE-78 \| js \| injection \| BWK-OK-ONE finds things\. \|/);
  await writeFile(join(repo, 'docs/rules/README.md'), reference);
  assert.ok(!(await checkConventions(repo)).includes('docs/rules/README.md is out of date: run npm run docs:rules'));
});
