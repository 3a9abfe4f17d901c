// OSV advisories (https://ossf.github.io/osv-schema/) for npm: reading them (a directory of .json/.jsonl
// files or one file), validating each record, indexing them by package name once per scan, and matching
// an installed name@version against them — SEMVER/ECOSYSTEM range events and explicit `versions`.

import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import semver from 'semver';
import { BulwarkError } from '../../../errors.ts';
import type { Severity } from '../../types.ts';
import { cvss3BaseScore, severityOfScore } from './cvss.ts';

type OsvEvent = { introduced?: string; fixed?: string; last_affected?: string; limit?: string };

export interface OsvAffected {
  package?: { ecosystem?: string; name?: string };
  ranges?: Array<{ type?: string; events?: OsvEvent[] }>;
  versions?: string[];
  database_specific?: { vulnerable_versions?: unknown; [k: string]: unknown };
}

export interface OsvRecord {
  id: string;
  modified?: string;
  aliases?: string[];
  summary?: string;
  details?: string;
  withdrawn?: string;
  severity?: Array<{ type?: string; score?: string }>;
  affected?: OsvAffected[];
  database_specific?: { severity?: unknown; cvss_score?: unknown; [k: string]: unknown };
}

/** One advisory that applies to one installed version. */
export interface AdvisoryMatch {
  id: string;
  aliases: string[];
  summary: string;
  severity: Severity;
  /** The lowest fixed version above the installed one, when the advisory names one. */
  fixed?: string;
}

export interface AdvisoryIndex {
  /** Number of (non-withdrawn, npm) advisories loaded. */
  size: number;
  /** Advisories affecting name@version, de-duplicated through shared ids/aliases (GHSA preferred). */
  match(name: string, version: string): AdvisoryMatch[];
}

/**
 * Checks the parts of an OSV record the scanner relies on; returns what is wrong, or undefined.
 * Deliberately not the whole OSV schema: unknown fields and future schema versions must keep loading.
 */
export function osvProblem(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0) return '"id" must be a non-empty string';
  if (r.aliases !== undefined && (!Array.isArray(r.aliases) || r.aliases.some((a) => typeof a !== 'string'))) return `${r.id}: "aliases" must be an array of strings`;
  if (r.summary !== undefined && typeof r.summary !== 'string') return `${r.id}: "summary" must be a string`;
  if (r.affected === undefined) return undefined;
  if (!Array.isArray(r.affected)) return `${r.id}: "affected" must be an array`;
  for (const [i, a] of (r.affected as unknown[]).entries()) {
    if (typeof a !== 'object' || a === null) return `${r.id}: affected[${i}] must be an object`;
    const aff = a as Record<string, unknown>;
    const pkg = aff.package as Record<string, unknown> | undefined;
    if (pkg !== undefined && (typeof pkg !== 'object' || typeof pkg.name !== 'string' || typeof pkg.ecosystem !== 'string')) return `${r.id}: affected[${i}].package needs "ecosystem" and "name" strings`;
    if (aff.versions !== undefined && (!Array.isArray(aff.versions) || aff.versions.some((v) => typeof v !== 'string'))) return `${r.id}: affected[${i}].versions must be an array of strings`;
    if (aff.ranges === undefined) continue;
    if (!Array.isArray(aff.ranges)) return `${r.id}: affected[${i}].ranges must be an array`;
    for (const [j, range] of (aff.ranges as unknown[]).entries()) {
      const rg = range as Record<string, unknown> | null;
      if (typeof rg !== 'object' || rg === null || typeof rg.type !== 'string' || !Array.isArray(rg.events)) return `${r.id}: affected[${i}].ranges[${j}] needs "type" and "events"`;
      for (const ev of rg.events as unknown[]) {
        if (typeof ev !== 'object' || ev === null || !Object.values(ev).every((v) => typeof v === 'string')) return `${r.id}: affected[${i}].ranges[${j}].events must hold objects of version strings`;
      }
    }
  }
  return undefined;
}

/** Whether a record says anything about an npm package. */
export function isNpmRecord(r: OsvRecord): boolean {
  return (r.affected ?? []).some((a) => a.package?.ecosystem === 'npm' && typeof a.package.name === 'string');
}

/**
 * Parses the text of one file: a JSON record, a JSON array of records, or JSONL. `where` names the
 * source in errors; a bad record fails the whole load so that a broken store is noticed, not half-used.
 */
export function parseOsvText(text: string, where: string): OsvRecord[] {
  const trimmed = text.trim();
  if (trimmed === '') return [];
  let values: Array<{ value: unknown; at: string }> | undefined;
  // A whole-file JSON document (one record, possibly pretty-printed, or an array); otherwise JSONL.
  try {
    const v = JSON.parse(trimmed) as unknown;
    values = Array.isArray(v) ? v.map((value, i) => ({ value, at: `${where} record ${i + 1}` })) : [{ value: v, at: where }];
  } catch {
    if (!trimmed.includes('\n')) parseJson(trimmed, where);
  }
  if (!values) {
    values = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!.trim();
      if (line !== '') values.push(...parseJson(line, `${where} line ${i + 1}`).map((value) => ({ value, at: `${where} line ${i + 1}` })));
    }
  }
  return values.map(({ value, at }) => {
    const problem = osvProblem(value);
    if (problem) throw new BulwarkError('BWK_E_SCANNER_ADVISORIES_INVALID', [at, problem]);
    return value as OsvRecord;
  });
}

function parseJson(text: string, where: string): unknown[] {
  try {
    const v = JSON.parse(text) as unknown;
    return Array.isArray(v) ? v : [v];
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_ADVISORIES_INVALID', [where, `not JSON (${(err as Error).message})`]);
  }
}

/** Reads every .json/.jsonl file of a directory (recursively), or one file. */
export async function readOsvPath(path: string): Promise<OsvRecord[]> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new BulwarkError('BWK_E_SCANNER_ADVISORIES_UNREADABLE', [path, 'no such file or directory']);
  }
  if (!info.isDirectory()) return parseOsvText(await readFile(path, 'utf8'), path);
  const records: OsvRecord[] = [];
  const entries = (await readdir(path, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile() && /\.jsonl?$/.test(e.name))
    .map((e) => join(e.parentPath, e.name))
    .sort();
  for (const file of entries) records.push(...parseOsvText(await readFile(file, 'utf8'), file));
  return records;
}

/** The advisory's severity: GitHub's rating, else a CVSS v3 vector's score, else a recorded score. */
export function severityOf(r: OsvRecord): Severity {
  const db = r.database_specific?.severity;
  if (typeof db === 'string') {
    const s = ({ CRITICAL: 'critical', HIGH: 'high', MODERATE: 'medium', MEDIUM: 'medium', LOW: 'low' } as const)[db.toUpperCase() as 'LOW'];
    if (s) return s;
  }
  for (const sev of r.severity ?? []) {
    const score = sev.type === 'CVSS_V3' && sev.score ? cvss3BaseScore(sev.score) : undefined;
    if (score !== undefined) return severityOfScore(score);
  }
  if (typeof r.database_specific?.cvss_score === 'number') return severityOfScore(r.database_specific.cvss_score);
  // OSV's MAL- records are malicious packages (ossf/malicious-packages): installing one is the worst case.
  if (r.id.startsWith('MAL-')) return 'critical';
  return 'medium';
}

const cmp = (a: string, b: string) => semver.compare(a, b);

/**
 * OSV range evaluation (osv-schema "Evaluation"): walk the events in version order; `introduced` opens an
 * affected span, `fixed` closes it at that version, `last_affected` closes it just after. Returns the
 * fixed version that closes the span holding `version` (if any), or null when not affected.
 */
function inRange(version: string, events: OsvEvent[]): { fixed?: string } | null {
  const points = events
    .map((e) => {
      const [kind, v] = Object.entries(e)[0] ?? [];
      if (!kind || typeof v !== 'string') return undefined;
      const at = v === '0' ? '0.0.0-0' : semver.valid(v, { loose: true });
      return at ? { kind, at } : undefined;
    })
    .filter((p): p is { kind: string; at: string } => p !== undefined && p.kind !== 'limit')
    .sort((a, b) => cmp(a.at, b.at));
  let affected = false;
  for (const p of points) {
    if (p.kind === 'introduced' && cmp(version, p.at) >= 0) affected = true;
    else if (p.kind === 'fixed' && cmp(version, p.at) >= 0) affected = false;
    else if (p.kind === 'last_affected' && cmp(version, p.at) > 0) affected = false;
  }
  if (!affected) return null;
  const fixed = points.find((p) => p.kind === 'fixed' && cmp(p.at, version) > 0);
  return fixed ? { fixed: fixed.at } : {};
}

function matchAffected(a: OsvAffected, version: string): { fixed?: string } | null {
  if (a.versions?.includes(version)) return fixedAbove(a, version);
  // The nodejs/security-wg records keep their exact node-semver range; the OSV events made from it are
  // an approximation at exclusive lower bounds (data/advisories/README.md), so the range decides.
  const exact = a.database_specific?.vulnerable_versions;
  if (typeof exact === 'string' && semver.validRange(exact)) {
    return semver.satisfies(version, exact, { includePrerelease: true }) ? fixedAbove(a, version) : null;
  }
  for (const range of a.ranges ?? []) {
    if (range.type !== 'SEMVER' && range.type !== 'ECOSYSTEM') continue;
    const hit = inRange(version, range.events ?? []);
    if (hit) return hit;
  }
  return null;
}

function fixedAbove(a: OsvAffected, version: string): { fixed?: string } {
  const fixes = (a.ranges ?? []).flatMap((r) => (r.events ?? []).map((e) => e.fixed)).filter((f): f is string => !!f && !!semver.valid(f) && cmp(f, version) > 0).sort(cmp);
  return fixes[0] ? { fixed: fixes[0] } : {};
}

/** Builds the per-scan index: npm records by package name, withdrawn ones left out. */
export function indexAdvisories(records: OsvRecord[]): AdvisoryIndex {
  const byName = new Map<string, OsvRecord[]>();
  let size = 0;
  for (const r of records) {
    if (r.withdrawn || !isNpmRecord(r)) continue;
    size++;
    const names = new Set((r.affected ?? []).filter((a) => a.package?.ecosystem === 'npm').map((a) => a.package!.name!));
    for (const name of names) {
      const list = byName.get(name);
      if (list) list.push(r);
      else byName.set(name, [r]);
    }
  }
  return {
    size,
    match(name, version) {
      const candidates = byName.get(name);
      const v = semver.valid(version, { loose: true });
      if (!candidates || !v) return [];
      const matches: AdvisoryMatch[] = [];
      for (const r of candidates) {
        let hit: { fixed?: string } | null = null;
        for (const a of r.affected ?? []) {
          if (a.package?.ecosystem !== 'npm' || a.package.name !== name) continue;
          const h = matchAffected(a, v);
          // Several affected[] entries can cover one package (one per release line): keep the lowest fix.
          if (h && (!hit || (h.fixed && (!hit.fixed || cmp(h.fixed, hit.fixed) < 0)))) hit = h;
        }
        if (hit) matches.push({ id: r.id, aliases: r.aliases ?? [], summary: (r.summary ?? r.details ?? '').split('\n')[0]!.trim(), severity: severityOf(r), ...(hit.fixed ? { fixed: hit.fixed } : {}) });
      }
      return dedupe(matches);
    },
  };
}

/** Two records naming a common id (a CVE, the other's id) are one vulnerability: keep one, GHSA first. */
function dedupe(matches: AdvisoryMatch[]): AdvisoryMatch[] {
  const rank = (m: AdvisoryMatch) => (m.id.startsWith('GHSA-') ? 0 : m.id.startsWith('x_') ? 2 : 1);
  const kept: AdvisoryMatch[] = [];
  for (const m of [...matches].sort((a, b) => rank(a) - rank(b) || a.id.localeCompare(b.id))) {
    const ids = new Set([m.id, ...m.aliases]);
    const twin = kept.find((k) => k.id === m.id || ids.has(k.id) || k.aliases.some((a) => ids.has(a)));
    if (!twin) kept.push(m);
  }
  return kept.sort((a, b) => a.id.localeCompare(b.id));
}
