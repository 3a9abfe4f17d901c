// The rule tester, after ESLint's RuleTester: every rule's test file lists `valid` cases (no finding)
// and `invalid` cases (each naming the message ids it expects). Cases run through the real engine on
// real files in a temp directory. A case that expects nothing, or a duplicate case, fails the test file.

import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import type { Engine, EngineId, Rule, ScanOptions } from './types.ts';

export interface RuleCase {
  name: string;
  /** A single source, written to `filename` (default per engine, e.g. index.js for js). */
  code?: string;
  filename?: string;
  /** Several files by relative path; used with or instead of `code`. */
  files?: Record<string, string>;
  options?: ScanOptions;
}

export interface ExpectedFinding {
  messageId: string;
  /** 1-based line the finding must point at, when the case wants to pin it. */
  line?: number;
  file?: string;
}

export interface InvalidRuleCase extends RuleCase {
  errors: ExpectedFinding[];
}

const defaultFilename: Record<EngineId, string> = {
  js: 'index.js',
  deps: 'package-lock.json',
  manifest: 'bulwark.yaml',
  iac: 'template.yaml',
};

export async function loadEngine(id: EngineId): Promise<Engine> {
  const mod = (await import(`./engine/${id}/index.ts`)) as { engine: Engine };
  return mod.engine;
}

function filesOf(rule: Rule, c: RuleCase): Record<string, string> {
  const files = { ...(c.files ?? {}) };
  if (c.code !== undefined) files[c.filename ?? defaultFilename[rule.meta.engine]] = c.code;
  assert.ok(Object.keys(files).length > 0, `case "${c.name}" has neither code nor files`);
  return files;
}

/** Runs one rule over a case's files, as the scanner would, and returns its findings. */
export async function runRule(rule: Rule, c: RuleCase) {
  const root = await mkdtemp(join(tmpdir(), 'bwk-rule-'));
  try {
    const files = filesOf(rule, c);
    for (const [rel, text] of Object.entries(files)) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), text);
    }
    const engine = await loadEngine(rule.meta.engine);
    const claimed = Object.keys(files).filter((f) => engine.claims(f));
    return await engine.run({ root, files: claimed, rules: [rule], options: c.options ?? {} });
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

export function testRule(rule: Rule, cases: { valid: RuleCase[]; invalid: InvalidRuleCase[] }): void {
  const seen = new Set<string>();
  for (const c of [...cases.valid, ...cases.invalid]) {
    const key = JSON.stringify(filesOf(rule, c));
    if (seen.has(key)) throw new Error(`${rule.meta.id}: case "${c.name}" duplicates another case`);
    seen.add(key);
  }
  for (const c of cases.invalid) {
    if (c.errors.length === 0) throw new Error(`${rule.meta.id}: invalid case "${c.name}" must name the findings it expects`);
    for (const e of c.errors) {
      if (!(e.messageId in rule.meta.messages)) throw new Error(`${rule.meta.id}: invalid case "${c.name}" expects unknown message id "${e.messageId}"`);
    }
  }
  if (cases.valid.length === 0 || cases.invalid.length === 0) throw new Error(`${rule.meta.id}: needs valid and invalid cases`);

  describe(rule.meta.id, () => {
    describe('valid', () => {
      for (const c of cases.valid) {
        it(c.name, async () => {
          const findings = await runRule(rule, c);
          assert.deepEqual(findings.map((f) => `${f.file}:${f.line} ${f.messageId}: ${f.message}`), []);
        });
      }
    });
    describe('invalid', () => {
      for (const c of cases.invalid) {
        it(c.name, async () => {
          const findings = await runRule(rule, c);
          for (const f of findings) assert.equal(f.ruleId, rule.meta.id);
          const got = findings.map((f) => ({ messageId: f.messageId, line: f.line, file: f.file }));
          assert.equal(got.length, c.errors.length, `expected ${c.errors.length} finding(s), got ${JSON.stringify(got)}`);
          const sorted = [...got].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
          c.errors.forEach((e, i) => {
            assert.equal(sorted[i]!.messageId, e.messageId);
            if (e.line !== undefined) assert.equal(sorted[i]!.line, e.line, `finding ${i + 1} line`);
            if (e.file !== undefined) assert.equal(sorted[i]!.file, e.file, `finding ${i + 1} file`);
          });
        });
      }
    });
  });
}
