// Scanner speed against ESLint + eslint-plugin-security (docs/benchmarks.md, "Scanner speed"): the same
// JavaScript files from node_modules, copied once into a temp directory, are scanned by
//   (a) `bulwark scan` (src/scanner/scan.ts: every rule, taint analysis included), and
//   (b) ESLint 9 with eslint-plugin-security's recommended rules and no other rule, through the
//       programmatic API with no config lookup (overrideConfigFile: true + overrideConfig),
// in alternating rounds in one process, so both see the same disk cache and the same machine noise.
// Reported: files/s and MB/s of each (median round) and the ratio (a)/(b) in throughput.
//
// The files are chosen deterministically: every .js file under node_modules (sorted paths, .min.js and
// files over 256 KiB left out), then every k-th so that --files of them are spread over all packages.
//
//   node bench/scanner-speed.ts [--files 2000] [--rounds 3] [--write]

import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { createRequire } from 'node:module';
import { ESLint, type Linter } from 'eslint';
import { scan, loadEngines } from '../src/scanner/scan.ts';
import { repo, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({
  options: {
    files: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    write: { type: 'boolean', default: false },
  },
});
const wanted = Number(values.files);
const rounds = Number(values.rounds);
const MAX_FILE_BYTES = 256 * 1024;

function listJs(dir: string, out: string[]): void {
  let entries;
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return;
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) listJs(p, out);
    else if (e.isFile() && e.name.endsWith('.js') && !e.name.endsWith('.min.js')) out.push(p);
  }
}

const all: string[] = [];
listJs(join(repo, 'node_modules'), all);
const candidates = all.filter((f) => statSync(f).size <= MAX_FILE_BYTES);
if (candidates.length < wanted) throw new Error(`only ${candidates.length} .js files under node_modules, ${wanted} wanted`);
const step = candidates.length / wanted;
const chosen = Array.from({ length: wanted }, (_, i) => candidates[Math.floor(i * step)]!);

// Copied under src/ of a temp project: the scanner skips node_modules by design, and both tools must
// read the very same files.
const work = mkdtempSync(join(tmpdir(), 'bwk-scan-speed-'));
let bytes = 0;
const rels: string[] = [];
for (const f of chosen) {
  const rel = join('src', relative(join(repo, 'node_modules'), f));
  mkdirSync(dirname(join(work, rel)), { recursive: true });
  copyFileSync(f, join(work, rel));
  bytes += statSync(f).size;
  rels.push(rel);
}

// eslint-plugin-security ships no type declarations.
const security = createRequire(import.meta.url)('eslint-plugin-security') as ESLint.Plugin & { configs: { recommended: { rules: Linter.RulesRecord } } };
const eslint = new ESLint({
  cwd: work,
  overrideConfigFile: true,
  overrideConfig: [{
    files: ['**/*.js'],
    plugins: { security },
    rules: security.configs.recommended.rules,
    languageOptions: { ecmaVersion: 'latest', sourceType: 'module' },
  }],
  cache: false,
  warnIgnored: false,
});
const engines = await loadEngines();

interface Round { ours: number; eslint: number }
const results: Round[] = [];
let ourFindings = 0;
let ourErrors = 0;
let eslintFindings = 0;
let eslintFatal = 0;
try {
  for (let i = 0; i < rounds; i++) {
    // Alternate which goes first, so neither always gets the warmer cache.
    const order = i % 2 === 0 ? ['ours', 'eslint'] : ['eslint', 'ours'];
    const round: Partial<Round> = {};
    for (const which of order) {
      const t0 = performance.now();
      if (which === 'ours') {
        const r = await scan(work, {}, { engines });
        ourFindings = r.findings.length;
        ourErrors = r.errors.filter((e) => e.kind === 'parse').length;
      } else {
        const r = await eslint.lintFiles(rels);
        eslintFindings = r.reduce((n, x) => n + x.messages.filter((m) => !m.fatal).length, 0);
        eslintFatal = r.filter((x) => x.messages.some((m) => m.fatal)).length;
      }
      round[which as keyof Round] = (performance.now() - t0) / 1000;
    }
    results.push(round as Round);
    process.stderr.write(`round ${i + 1}/${rounds}: bulwark ${round.ours!.toFixed(2)} s, eslint ${round.eslint!.toFixed(2)} s\n`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ours = median(results.map((r) => r.ours));
const theirs = median(results.map((r) => r.eslint));
const mb = bytes / 1024 / 1024;
const row = (name: string, s: number) => `| ${name} | ${s.toFixed(2)} | ${(wanted / s).toFixed(0)} | ${(mb / s).toFixed(2)} |`;
const report = [
  `${wanted} .js files from node_modules (${mb.toFixed(1)} MB), ${rounds} alternating round(s), median round; ${cpus()[0]?.model ?? 'cpu'} × ${cpus().length}.`,
  '',
  '| Scanner | Seconds | Files/s | MB/s |',
  '| --- | ---: | ---: | ---: |',
  row('bulwark scan (all rules, taint)', ours),
  row('eslint 9 + eslint-plugin-security (recommended)', theirs),
  '',
  `**Bulwark is ${(theirs / ours).toFixed(2)}× the throughput of ESLint + eslint-plugin-security** (target ≥ 3×).`,
  `Findings: bulwark ${ourFindings} (${ourErrors} file(s) not parsed), eslint ${eslintFindings} (${eslintFatal} file(s) with a fatal parse error).`,
].join('\n');
process.stdout.write(report + '\n');
if (values.write) writeBenchSection('scanner-speed', 'npm run bench:scanner-speed', report);
