// bulwark.waivers.yaml, beside bulwark.yaml: the findings a team accepts for a while, each with a
// reason and an expiry date, so a waiver is a decision someone wrote down and that lapses on its own.
//
//   - rule: BWK-INJ-CMD            # required: the rule id
//     file: src/admin.ts           # optional: only findings in this file (a glob); default any file
//     reason: input is an enum checked by the schema guard   # required, non-empty
//     expires: 2026-12-31          # required: a date, not past, at most 90 days ahead
//     approvedBy: security@example.com                       # optional
//
// Every problem is reported at file:line:col, all at once, and any problem refuses the deploy: a
// waiver file that does not say what its author meant is not applied partly.

import { readFile } from 'node:fs/promises';
import { matchesGlob } from 'node:path';
import { LineCounter, parseDocument, type Document } from 'yaml';
import { locate, pathOf } from '../../manifest/yaml-positions.ts';
import { Ajv, type ErrorObject } from 'ajv';
import { BulwarkError } from '../../errors.ts';

export const WAIVERS_FILE = 'bulwark.waivers.yaml';
/** How far ahead a waiver may expire: long enough for a planned fix, short enough to be revisited. */
export const MAX_WAIVER_DAYS = 90;

export interface Waiver {
  rule: string;
  file?: string;
  reason: string;
  /** YYYY-MM-DD; the waiver holds through that day (UTC). */
  expires: string;
  approvedBy?: string;
}

// Waiver text ends up in terminals, the security events and the audit ledger: no control characters
// (escape sequences, C1, bidi overrides). A reason may span lines (a YAML block scalar); a file glob
// or an approver is one line.
const controls = '\\u0000-\\u0008\\u000b\\u000c\\u000e-\\u001f\\u007f-\\u009f\\u2028\\u2029\\u202a-\\u202e\\u2066-\\u2069';
/** Some non-space text, without control characters other than tab and line breaks. */
export const reasonPattern = `^(?=[\\s\\S]*\\S)[^${controls}]*$`;
/** One line without control characters. */
export const lineTextPattern = `^[^${controls}\\n\\r\\t]+$`;

export const waiverSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['rule', 'reason', 'expires'],
  properties: {
    rule: { type: 'string', pattern: '^BWK-[A-Z0-9]+(-[A-Z0-9]+)+$' },
    file: { type: 'string', minLength: 1, maxLength: 1024, pattern: lineTextPattern },
    reason: { type: 'string', pattern: reasonPattern, maxLength: 2000 },
    expires: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
    approvedBy: { type: 'string', minLength: 1, maxLength: 256, pattern: lineTextPattern },
  },
} as const;

const waiversSchema = { type: 'array', maxItems: 500, items: waiverSchema } as const;
const validate = new Ajv({ allErrors: true, strict: true, verbose: true }).compile(waiversSchema);

/** Problems of one waiver that a schema cannot see (a real date, not past, not too far ahead); [] when fine. */
export function waiverDateProblems(expires: string, now: Date): string[] {
  const d = new Date(`${expires}T00:00:00Z`);
  if (Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== expires) return [`expires ${expires} is not a real date`];
  const today = now.toISOString().slice(0, 10);
  if (expires < today) return [`expired on ${expires}: renew it with a new reason and date, or fix the finding`];
  const max = new Date(Date.parse(`${today}T00:00:00Z`) + MAX_WAIVER_DAYS * 86_400_000).toISOString().slice(0, 10);
  if (expires > max) return [`expires ${expires} is more than ${MAX_WAIVER_DAYS} days ahead (latest ${max})`];
  return [];
}

/** Parses and checks a waivers file; throws BWK_E_SCANNER_WAIVERS_INVALID listing every problem at file:line:col. */
export function parseWaivers(source: string, file: string, now: Date = new Date()): Waiver[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(source, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const pos = (offset: number) => {
    const { line, col } = lineCounter.linePos(offset);
    return `${file}:${line}:${col}`;
  };
  const first = doc.errors[0];
  if (first) fail([`${pos(first.pos[0])}: ${first.message.split('\n')[0]}`]);
  let raw: unknown;
  try {
    // No aliases at all: a waiver is written out in full, so an alias bomb cannot be one.
    raw = doc.contents === null ? [] : doc.toJS({ maxAliasCount: 0 });
  } catch (err) {
    fail([`${pos(0)}: ${String((err as Error).message).split('\n')[0]} (write each waiver out in full, without anchors and aliases)`]);
  }
  const problems: string[] = [];
  if (!validate(raw)) {
    for (const e of validate.errors ?? []) problems.push(`${pos(offsetOf(doc, e))}: ${describe(e)}`);
    fail(problems);
  }
  const waivers = raw as Waiver[];
  waivers.forEach((w, i) => {
    for (const p of waiverDateProblems(w.expires, now)) problems.push(`${pos(locate(doc, [i, 'expires']))}: waiver ${i + 1} (${w.rule}) ${p}`);
  });
  if (problems.length > 0) fail(problems);
  return waivers.map((w) => ({ ...w, reason: w.reason.trim() }));
}

/** Reads `dir/bulwark.waivers.yaml`; no file is no waivers. */
export async function loadWaivers(dir: string, now: Date = new Date()): Promise<Waiver[]> {
  let source: string;
  try {
    source = await readFile(`${dir}/${WAIVERS_FILE}`, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new BulwarkError('BWK_E_SCANNER_WAIVERS_INVALID', [`${WAIVERS_FILE}: cannot be read`]);
  }
  return parseWaivers(source, WAIVERS_FILE, now);
}

/** Whether `w` covers a finding of `ruleId` in `file` (relative to the function directory). */
export function waiverCovers(w: Pick<Waiver, 'rule' | 'file'>, ruleId: string, file: string): boolean {
  return w.rule === ruleId && (w.file === undefined || w.file === file || matchesGlob(file, w.file));
}

function fail(problems: string[]): never {
  const at = (p: string) => (/:(\d+):(\d+): /.exec(p) ?? [0, 0, 0]).slice(1).map(Number) as [number, number];
  problems.sort((a, b) => at(a)[0] - at(b)[0] || at(a)[1] - at(b)[1]);
  const head = problems.length === 1 ? '1 problem' : `${problems.length} problems`;
  throw new BulwarkError('BWK_E_SCANNER_WAIVERS_INVALID', [`${head}\n${problems.join('\n')}`], { problems });
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? `waiver ${Number(e.instancePath.split('/')[1]) + 1}` : 'the file';
  const field = e.instancePath.split('/').slice(2).join('.');
  if (e.keyword === 'type' && !e.instancePath) return 'the file must be a YAML list of waivers (- rule: …, reason: …, expires: …)';
  if (e.keyword === 'required') return `${where} has no ${(e.params as { missingProperty: string }).missingProperty} (rule, reason and expires are required)`;
  if (e.keyword === 'additionalProperties') return `${where}: unknown key "${(e.params as { additionalProperty: string }).additionalProperty}" (allowed: rule, file, reason, expires, approvedBy)`;
  if (field === 'reason') return `${where}: reason must say why the finding is accepted (${typeof e.data === 'string' && /\S/.test(e.data) ? 'it holds a control character' : 'it is empty'})`;
  if (field === 'expires') return `${where}: expires must be a date like 2026-12-31`;
  if (field === 'rule') return `${where}: rule must be a rule id like BWK-INJ-CMD`;
  if ((field === 'file' || field === 'approvedBy') && e.keyword === 'pattern') return `${where}: ${field} must be one line without control characters`;
  return `${where}${field ? ` ${field}` : ''} ${e.message}`;
}

function offsetOf(doc: Document, e: ErrorObject): number {
  const path = pathOf(e.instancePath);
  if (e.keyword === 'additionalProperties') return locate(doc, [...path, (e.params as { additionalProperty: string }).additionalProperty], 'key');
  return locate(doc, path);
}
