// The terminal report: findings grouped by severity, most severe first, each with the source lines
// around it and a caret under the spot, the taint trace, the fix, the runtime guard that would blunt
// it, and its rule page. Plain text: no colours, so it reads the same in CI logs and in a pipe.

import { severities, type Location, type RuleMeta } from '../types.ts';
import type { ScanError, ScanResult, ScannedFinding } from '../scan.ts';
import { readLinesSync } from '../source.ts';
import { docsPath, summarise } from './summary.ts';

const CONTEXT_LINES = 2;

export function textReport(result: ScanResult): string {
  const metas = new Map(result.rules.map((m) => [m.id, m]));
  const files = new Map<string, string[] | undefined>();
  const linesOf = (file: string) => {
    if (!files.has(file)) files.set(file, readLinesSync(result.root, file));
    return files.get(file);
  };
  const out: string[] = [];
  for (const severity of [...severities].reverse()) {
    const group = result.findings.filter((f) => f.severity === severity);
    if (group.length === 0) continue;
    out.push(`${severity.toUpperCase()} (${group.length})`, '');
    for (const f of group) out.push(...renderFinding(f, metas.get(f.ruleId), linesOf(f.file)), '');
  }
  if (result.errors.length > 0) {
    out.push(`SCAN PROBLEMS (${result.errors.length})`, '');
    for (const e of result.errors) out.push(`  ${renderError(e)}`);
    out.push('');
  }
  out.push(summaryLine(result));
  return out.map(printable).join('\n') + '\n';
}

// C0 controls but the tab, DEL, C1 controls (U+009B is a one-character CSI), line and paragraph
// separators, and the bidirectional overrides and isolates of "Trojan Source".
const UNPRINTABLE = /[\u0000-\u0008\u000a-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * One report line made safe for a terminal: file names, messages and code frames come from the scanned
 * (possibly hostile) project, and an escape sequence in them must not move the cursor, rewrite earlier
 * lines, set the window title or hide text. Each such character is shown as \u{…} instead.
 */
export function printable(line: string): string {
  return line.replace(UNPRINTABLE, (c) => `\\u{${c.codePointAt(0)!.toString(16)}}`);
}

export function renderFinding(f: ScannedFinding, meta: RuleMeta | undefined, lines: string[] | undefined): string[] {
  const out = [`  ${f.ruleId}  ${f.message}`, `  at ${where(f)}`];
  if (lines) out.push(...codeFrame(lines, f));
  if (f.trace && f.trace.length > 0) out.push(`  trace: ${f.trace.map(where).join(' → ')}`);
  if (meta) {
    out.push(`  fix: ${meta.fix}`);
    if (meta.mitigatedBy && meta.mitigatedBy.length > 0) out.push(`  mitigated at runtime by: ${meta.mitigatedBy.join(', ')}`);
  }
  out.push(`  docs: ${docsPath(f.ruleId)}`);
  return out;
}

/** The finding's line with CONTEXT_LINES either side, a `>` in the gutter and carets under the span. */
export function codeFrame(lines: string[], loc: Location): string[] {
  const first = Math.max(1, loc.line - CONTEXT_LINES);
  const last = Math.min(lines.length, loc.line + CONTEXT_LINES);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = (lines[n - 1] ?? '').slice(0, 200);
    out.push(`  ${n === loc.line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`);
    if (n === loc.line) {
      const start = Math.max(1, loc.column);
      const end = loc.endLine === loc.line && loc.endColumn && loc.endColumn > start ? Math.min(loc.endColumn, text.length + 1) : start + 1;
      // Tabs stay tabs under the source so the caret lines up whatever the terminal's tab width.
      const pad = text.slice(0, start - 1).replace(/[^\t]/g, ' ');
      out.push(`    ${' '.repeat(width)} | ${pad}${'^'.repeat(Math.max(1, end - start))}`);
    }
  }
  return out;
}

function where(l: Location): string {
  return `${l.file}:${l.line}:${l.column}`;
}

export function renderError(e: ScanError): string {
  const at = e.file ? `${e.file}${e.line ? `:${e.line}` : ''}: ` : '';
  return `${e.kind}: ${at}${e.reason}`;
}

export function summaryLine(result: ScanResult): string {
  const s = summarise(result);
  const counts = [...severities].reverse().filter((sev) => s.bySeverity[sev] > 0).map((sev) => `${s.bySeverity[sev]} ${sev}`);
  return `${s.findings} finding(s)${counts.length ? ` (${counts.join(', ')})` : ''}, ${s.suppressed} suppressed, ${s.baselined} baselined; `
    + `${s.files} file(s), ${(s.bytes / 1024).toFixed(1)} KiB scanned${s.errors ? `; ${s.errors} scan problem(s)` : ''}`;
}
