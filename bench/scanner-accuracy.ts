// Scanner accuracy over the fixture corpus (docs/benchmarks.md, "Scanner accuracy"): every case
// directory test/fixtures/scanner-corpus/<rule-id>/{vulnerable,safe}/<case>/ is scanned on its own with
// every rule, exactly as `bulwark scan <case>` would, and counted per rule R:
//
//   TP  a vulnerable case of R's folder with at least one R finding
//   FN  a vulnerable case of R's folder without one
//   FP  a safe case (of ANY rule's folder) with at least one R finding
//
// precision = TP / (TP + FP), recall = TP / (TP + FN), per rule and overall (sums over every rule).
// Exit 1 when the overall precision or recall is below 90%.
//
//   node bench/scanner-accuracy.ts [--rule <id>] [--max-cases <n per folder>] [--write]

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpus } from 'node:os';
import { scan, loadEngines } from '../src/scanner/scan.ts';
import { repo, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({
  options: {
    rule: { type: 'string' },
    'max-cases': { type: 'string' },
    write: { type: 'boolean', default: false },
  },
});
const TARGET = 0.9;
const corpus = join(repo, 'test/fixtures/scanner-corpus');
const maxCases = values['max-cases'] === undefined ? Infinity : Number(values['max-cases']);

interface Case { rule: string; kind: 'vulnerable' | 'safe'; name: string; dir: string }

const dirsIn = (d: string) => (existsSync(d) ? readdirSync(d).filter((f) => statSync(join(d, f)).isDirectory()).sort() : []);

const cases: Case[] = [];
for (const rule of dirsIn(corpus)) {
  if (values.rule && rule !== values.rule) continue;
  for (const kind of ['vulnerable', 'safe'] as const) {
    for (const name of dirsIn(join(corpus, rule, kind)).slice(0, maxCases)) cases.push({ rule, kind, name, dir: join(corpus, rule, kind, name) });
  }
}
if (cases.length === 0) {
  process.stderr.write(`no cases under ${corpus}${values.rule ? ` for ${values.rule}` : ''}\n`);
  process.exit(1);
}

const engines = await loadEngines();
const started = performance.now();
const found = new Map<Case, Set<string>>();
// A few cases at a time: the engines are async (file reads), so some overlap helps; more only adds memory.
let next = 0;
const errors: string[] = [];
await Promise.all(Array.from({ length: Math.min(4, cpus().length * 2) }, async () => {
  while (next < cases.length) {
    const c = cases[next++]!;
    const r = await scan(c.dir, {}, { engines });
    found.set(c, new Set(r.findings.map((f) => f.ruleId)));
    for (const e of r.errors) errors.push(`${c.rule}/${c.kind}/${c.name}: ${e.kind} ${e.file} ${e.reason}`);
  }
}));
const seconds = (performance.now() - started) / 1000;

const rules = [...new Set(cases.map((c) => c.rule))].sort();
interface Row { rule: string; tp: number; fn: number; fp: number; missed: string[]; falseAlarms: string[] }
const rows: Row[] = rules.map((rule) => {
  const mine = cases.filter((c) => c.rule === rule && c.kind === 'vulnerable');
  const hit = mine.filter((c) => found.get(c)!.has(rule));
  const fps = cases.filter((c) => c.kind === 'safe' && found.get(c)!.has(rule));
  return {
    rule, tp: hit.length, fn: mine.length - hit.length, fp: fps.length,
    missed: mine.filter((c) => !hit.includes(c)).map((c) => c.name),
    falseAlarms: fps.map((c) => `${c.rule}/safe/${c.name}`),
  };
});
// Rules that fired in safe cases without having a corpus folder of their own count as false positives too.
for (const c of cases) {
  if (c.kind !== 'safe') continue;
  for (const id of found.get(c)!) {
    if (!rules.includes(id) && !values.rule) {
      let row = rows.find((r) => r.rule === id);
      if (!row) rows.push(row = { rule: id, tp: 0, fn: 0, fp: 0, missed: [], falseAlarms: [] });
      row.fp++;
      row.falseAlarms.push(`${c.rule}/safe/${c.name}`);
    }
  }
}
rows.sort((a, b) => a.rule.localeCompare(b.rule));

const pct = (n: number, d: number) => (d === 0 ? '-' : `${((100 * n) / d).toFixed(1)}%`);
const total = rows.reduce((a, r) => ({ tp: a.tp + r.tp, fn: a.fn + r.fn, fp: a.fp + r.fp }), { tp: 0, fn: 0, fp: 0 });
const precision = total.tp + total.fp === 0 ? 1 : total.tp / (total.tp + total.fp);
const recall = total.tp + total.fn === 0 ? 1 : total.tp / (total.tp + total.fn);
const vulnerable = cases.filter((c) => c.kind === 'vulnerable').length;

const table = [
  '| Rule | TP | FN | FP | Precision | Recall |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map((r) => `| ${r.rule} | ${r.tp} | ${r.fn} | ${r.fp} | ${pct(r.tp, r.tp + r.fp)} | ${pct(r.tp, r.tp + r.fn)} |`),
  `| **overall** | ${total.tp} | ${total.fn} | ${total.fp} | **${(precision * 100).toFixed(1)}%** | **${(recall * 100).toFixed(1)}%** |`,
].join('\n');
const report = [
  `${cases.length} cases (${vulnerable} vulnerable, ${cases.length - vulnerable} safe) over ${rules.length} rule folder(s), scanned in ${seconds.toFixed(1)} s.`,
  '',
  table,
  '',
  `Target: precision and recall ≥ ${TARGET * 100}% overall.${errors.length ? ` ${errors.length} scan problem(s) (files not parsed).` : ''}`,
].join('\n');

process.stdout.write(report + '\n');
const details = rows.flatMap((r) => [
  ...r.missed.map((m) => `  missed   ${r.rule}/vulnerable/${m}`),
  ...r.falseAlarms.map((f) => `  false +  ${r.rule} in ${f}`),
]);
if (details.length) process.stdout.write(`\nMisses and false alarms:\n${details.join('\n')}\n`);
if (errors.length) process.stdout.write(`\nScan problems:\n${errors.map((e) => `  ${e}`).join('\n')}\n`);
if (values.write) writeBenchSection('scanner', `npm run bench:scanner${values.rule ? ` -- --rule ${values.rule}` : ''}`, report);
if (precision < TARGET || recall < TARGET) {
  process.stderr.write(`bench:scanner: overall precision ${(precision * 100).toFixed(1)}% / recall ${(recall * 100).toFixed(1)}% below ${TARGET * 100}%\n`);
  process.exitCode = 1;
}
