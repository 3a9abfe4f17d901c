// The conventions check run by `npm test` (like ESLint's checkRuleFiles): a guard or scanner rule without
// its test, docs page or registry entry, a stale rule reference (docs/rules/README.md), a CLI command
// without a docs/cli.md section, or an undocumented error code fails the build with one line per problem
// saying what to add where.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { errors } from '../src/errors.ts';
import type { Rule } from '../src/scanner/types.ts';
import { RULE_REFERENCE, ruleReference } from './rule-docs.ts';

/** The outline every docs/guards/<id>.md follows, in this order. */
export const guardDocHeadings = ['## What it blocks', '## Options', '## Error codes', '## Bypass risks'];

const root = fileURLToPath(new URL('..', import.meta.url));

export async function checkConventions(repo: string): Promise<string[]> {
  const problems: string[] = [];
  problems.push(...await checkGuards(repo));
  problems.push(...checkCliDocs(repo));
  problems.push(...checkErrorDocs(repo));
  problems.push(...await checkRules(repo));
  return problems;
}

/** The outline every docs/rules/<id>.md follows, exactly these level-2 headings in this order. */
export const ruleDocHeadings = ['## What it catches', '## Vulnerable example', '## Safe example', '## Options', '## Known limitations', '## References'];

async function checkRules(repo: string): Promise<string[]> {
  const problems: string[] = [];
  const dir = join(repo, 'src/scanner/rules');
  if (!existsSync(dir)) return problems;
  const ids = readdirSync(dir).filter((f) => f.endsWith('.ts') && f !== 'index.ts' && !f.endsWith('.test.ts')).map((f) => f.slice(0, -3)).sort();
  let registry: Record<string, Rule<unknown>> = {};
  try {
    registry = (await import(join(dir, 'index.ts'))).rules;
  } catch (err) {
    problems.push(`src/scanner/rules/index.ts: cannot load the rule registry (${(err as Error).message.split('\n')[0]})`);
  }
  for (const id of ids) {
    let rule: Rule<unknown> | undefined;
    try {
      rule = (await import(join(dir, `${id}.ts`))).rule;
    } catch (err) {
      problems.push(`src/scanner/rules/${id}.ts: cannot be loaded (${(err as Error).message.split('\n')[0]})`);
    }
    if (rule && rule.meta?.id !== id) problems.push(`src/scanner/rules/${id}.ts: meta.id is "${rule.meta?.id}", must equal the file name "${id}"`);
    else if (!rule && !problems.some((p) => p.startsWith(`src/scanner/rules/${id}.ts`))) problems.push(`src/scanner/rules/${id}.ts: does not export \`rule\``);
    if (!Object.hasOwn(registry, id)) problems.push(`src/scanner/rules/index.ts: rule "${id}" is not in the registry (add it, sorted)`);
    else if (rule && registry[id] !== rule) problems.push(`src/scanner/rules/index.ts: entry "${id}" is not the rule exported by src/scanner/rules/${id}.ts`);
    if (!existsSync(join(repo, 'test/rules', `${id}.test.ts`))) problems.push(`test/rules/${id}.test.ts is missing: every rule has valid and invalid cases (testRule)`);
    const doc = join(repo, 'docs/rules', `${id}.md`);
    if (!existsSync(doc)) {
      problems.push(`docs/rules/${id}.md is missing: write it with the headings ${ruleDocHeadings.join(', ')}`);
      continue;
    }
    const found = readFileSync(doc, 'utf8').split('\n').filter((l) => l.startsWith('## ')).map((l) => l.trim());
    if (found.join('|') !== ruleDocHeadings.join('|')) {
      problems.push(`docs/rules/${id}.md: level-2 headings must be exactly ${ruleDocHeadings.join(', ')} in this order (found ${found.join(', ') || 'none'})`);
    }
  }
  const keys = Object.keys(registry);
  for (const id of keys) {
    if (!ids.includes(id)) problems.push(`src/scanner/rules/index.ts: registry entry "${id}" has no file src/scanner/rules/${id}.ts`);
  }
  if (keys.join('|') !== [...keys].sort().join('|')) problems.push('src/scanner/rules/index.ts: registry keys must be sorted');
  const reference = join(repo, RULE_REFERENCE);
  if (!existsSync(reference) || readFileSync(reference, 'utf8') !== ruleReference(registry)) {
    problems.push(`${RULE_REFERENCE} is out of date: run npm run docs:rules`);
  }
  return problems;
}

async function checkGuards(repo: string): Promise<string[]> {
  const problems: string[] = [];
  const dir = join(repo, 'src/guards');
  if (!existsSync(dir)) return problems;
  const ids = readdirSync(dir).filter((f) => statSync(join(dir, f)).isDirectory()).sort();
  let registry: Record<string, { meta?: { id?: string; errors?: readonly string[] } }> = {};
  try {
    registry = (await import(join(dir, 'index.ts'))).guards;
  } catch (err) {
    problems.push(`src/guards/index.ts: cannot load the guard registry (${(err as Error).message.split('\n')[0]})`);
  }
  for (const id of ids) {
    for (const f of ['index.ts', 'index.test.ts']) {
      if (!existsSync(join(dir, id, f))) problems.push(`src/guards/${id}/${f} is missing: every guard has its module and its test`);
    }
    const entry = registry[id];
    if (!entry) problems.push(`src/guards/index.ts: guard "${id}" is not in the registry (add it, sorted)`);
    else if (entry.meta?.id !== id) problems.push(`src/guards/${id}/index.ts: meta.id is "${entry.meta?.id}", must equal the folder name "${id}"`);
    const doc = join(repo, 'docs/guards', `${id}.md`);
    if (!existsSync(doc)) {
      problems.push(`docs/guards/${id}.md is missing: write it with the headings ${guardDocHeadings.join(', ')}`);
      continue;
    }
    const text = readFileSync(doc, 'utf8');
    const found = text.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.trim());
    const expected = guardDocHeadings.filter((h) => found.includes(h));
    const order = found.filter((h) => guardDocHeadings.includes(h));
    for (const h of guardDocHeadings) if (!found.includes(h)) problems.push(`docs/guards/${id}.md: heading "${h}" is missing`);
    if (expected.length === guardDocHeadings.length && order.join('|') !== guardDocHeadings.join('|')) {
      problems.push(`docs/guards/${id}.md: headings must come in the order ${guardDocHeadings.join(', ')}`);
    }
    for (const code of entry?.meta?.errors ?? []) {
      if (!text.includes(code)) problems.push(`docs/guards/${id}.md: error code ${code} (in meta.errors) is not documented`);
    }
  }
  for (const id of Object.keys(registry)) {
    if (!ids.includes(id)) problems.push(`src/guards/index.ts: registry entry "${id}" has no folder src/guards/${id}/`);
  }
  return problems;
}

function checkCliDocs(repo: string): string[] {
  const dir = join(repo, 'src/cli/commands');
  if (!existsSync(dir)) return [];
  const docPath = join(repo, 'docs/cli.md');
  const sections = existsSync(docPath) ? headings(readFileSync(docPath, 'utf8')) : new Set<string>();
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
    .map((f) => f.slice(0, -3))
    .filter((cmd) => !sections.has(`bulwark ${cmd}`))
    .map((cmd) => `docs/cli.md: no "## bulwark ${cmd}" section for src/cli/commands/${cmd}.ts`);
}

function checkErrorDocs(repo: string): string[] {
  const docPath = join(repo, 'docs/errors.md');
  const sections = existsSync(docPath) ? headings(readFileSync(docPath, 'utf8')) : new Set<string>();
  return Object.keys(errors)
    .filter((code) => !sections.has(code))
    .map((code) => `docs/errors.md: error code ${code} (src/errors.ts) has no "## ${code}" section`);
}

/** Level-2 headings of a markdown file, without the marker and code ticks. */
function headings(markdown: string): Set<string> {
  return new Set(markdown.split('\n').filter((l) => l.startsWith('## ')).map((l) => l.slice(3).replace(/`/g, '').trim()));
}

if (import.meta.main) {
  const problems = await checkConventions(root);
  if (problems.length > 0) {
    process.stderr.write(`check-conventions: ${problems.length} problem(s)\n` + problems.map((p) => `  ${p}\n`).join(''));
    process.exitCode = 1;
  } else {
    process.stdout.write(`check-conventions: ok (${relative(process.cwd(), root) || '.'})\n`);
  }
}
