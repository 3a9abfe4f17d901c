// `bulwark scan [dir]`: run the static scanner (src/scanner/scan.ts) and print a report as text, JSON
// or SARIF. Exit 0 when nothing at or above --fail-on is left (after suppressions and the baseline),
// 1 when something is, 2 when the scan could not be run as asked (docs/scanner.md, "Exit codes").

import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { atOrAbove, isSeverity, scan, unanalysed, type ScanError, type ScanResult } from '../../scanner/scan.ts';
import { readBaseline, writeBaseline } from '../../scanner/baseline.ts';
import { textReport, summaryLine } from '../../scanner/report/text.ts';
import { jsonReport } from '../../scanner/report/json.ts';
import { sarifReport } from '../../scanner/report/sarif.ts';
import type { Severity } from '../../scanner/types.ts';
import { createProgress } from '../progress.ts';
import type { CliIo } from '../io.ts';
import { keyValue } from '../args.ts';

export type ReportFormat = 'text' | 'json' | 'sarif';

interface ScanFlags {
  format: ReportFormat;
  failOn: Severity;
  baseline?: string;
  writeBaseline?: string;
  advisories?: string;
  opt: Record<string, string>;
  output?: string;
  rules?: string[];
  docsUrl?: string;
}

export function severityArg(value: string): Severity {
  if (!isSeverity(value)) throw new InvalidArgumentError('must be one of info, low, medium, high, critical');
  return value;
}

function ruleList(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('must list at least one rule id');
  return ids;
}

export function toolVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

export function renderReport(result: ScanResult, format: ReportFormat, docsBaseUrl?: string): string {
  if (format === 'json') return JSON.stringify(jsonReport(result, toolVersion()), null, 2) + '\n';
  if (format === 'sarif') return JSON.stringify(sarifReport(result, { toolVersion: toolVersion(), ...(docsBaseUrl ? { docsBaseUrl } : {}) }), null, 2) + '\n';
  return textReport(result);
}

/** The one-line summary of unanalysed files for BWK_E_SCANNER_INCOMPLETE (the report lists them all). */
export function incompleteText(missed: ScanError[]): string {
  const names = missed.slice(0, 3).map((e) => e.file || 'an engine').join(', ');
  return `${missed.length} file(s) or engine(s) not analysed (${names}${missed.length > 3 ? ', …' : ''}); see SCAN PROBLEMS: fix them, or list generated files in .bulwarkignore`;
}

/** Findings that fail a run at `failOn` (suppressed and baselined ones never do). */
export function failing(result: ScanResult, failOn: Severity) {
  return result.findings.filter((f) => atOrAbove(f.severity, failOn));
}

export function scanCommand(io: CliIo): Command {
  return new Command('scan')
    .description('scan a function project for vulnerabilities (code, dependencies, manifests, templates)')
    .argument('[dir]', 'directory to scan', '.')
    .addOption(new Option('--format <format>', 'report format').choices(['text', 'json', 'sarif']).default('text'))
    .option('--fail-on <severity>', 'exit 1 when a finding at or above this severity is left', severityArg, 'high' as Severity)
    .option('--baseline <file>', 'ignore findings recorded in this baseline file')
    .option('--write-baseline <file>', 'write the current findings as a baseline file (exit 0)')
    .option('--advisories <path>', 'OSV advisories directory or file (default: the data shipped with Bulwark)')
    .option('--opt <key=value>', 'value of a serverless.yml ${opt:key} variable (repeatable)', keyValue, {} as Record<string, string>)
    .option('--rules <ids>', 'run only these rules (comma-separated ids)', ruleList)
    .option('--output <file>', 'write the report to this file instead of stdout')
    .option('--docs-url <base>', 'absolute URL the docs/ folder is published under (SARIF helpUri)')
    .action(async (dir: string, flags: ScanFlags) => {
      const baseline = flags.baseline === undefined ? undefined : await readBaseline(resolve(io.cwd, flags.baseline), flags.baseline);
      const progress = createProgress(io, !io.interactive);
      progress.step(`scanning ${dir}`);
      let result: ScanResult;
      try {
        result = await scan(resolve(io.cwd, dir), {
          ...(baseline ? { baseline } : {}),
          ...(flags.advisories !== undefined ? { advisories: resolve(io.cwd, flags.advisories) } : {}),
          ...(Object.keys(flags.opt).length > 0 ? { options: flags.opt } : {}),
          ...(flags.rules ? { rules: flags.rules } : {}),
        }, { onProgress: (text) => progress.step(text) });
      } catch (err) {
        progress.fail();
        throw err;
      }
      progress.done(summaryLine(result));
      if (flags.writeBaseline !== undefined) {
        await writeBaseline(resolve(io.cwd, flags.writeBaseline), result);
        io.stderr.write(`baseline of ${result.findings.length + result.baselined.length} finding(s) written to ${flags.writeBaseline}\n`);
        return;
      }
      const report = renderReport(result, flags.format, flags.docsUrl);
      if (flags.output !== undefined) {
        await writeFile(resolve(io.cwd, flags.output), report);
        io.stderr.write(`${summaryLine(result)}\nreport written to ${flags.output}\n`);
      } else {
        io.stdout.write(report);
      }
      const bad = failing(result, flags.failOn);
      if (bad.length > 0) throw new BulwarkError('BWK_E_SCANNER_FINDINGS', [bad.length, flags.failOn]);
      const missed = unanalysed(result);
      if (missed.length > 0) throw new BulwarkError('BWK_E_SCANNER_INCOMPLETE', [incompleteText(missed)]);
    });
}
