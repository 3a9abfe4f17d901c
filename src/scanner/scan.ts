// The scan: walk a project, hand each engine the files it claims, run the engines side by side, then
// apply what the author said about the findings — inline suppressions (with a reason, or they do not
// count) and a baseline of accepted findings — and sort what is left, most severe first.
//
//   walk the tree (skipping node_modules, .git, .bulwark, dist, build and .bulwarkignore patterns)
//   engines in parallel, each over its claimed files and its own rules   → findings, parse errors
//   fingerprint each finding (rule + file + normalised source line)      → stable across line moves
//   inline `bulwark-ignore <rule-id>: <reason>`                          → suppressed
//   baseline (a multiset of fingerprints)                                → baselined
//   --min-severity filter, then sort (severity desc, file, line, column, rule)

import { createHash } from 'node:crypto';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, matchesGlob, relative, resolve, sep } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { rules as registry } from './rules/index.ts';
import { engines as engineIds, severities, type Engine, type Finding, type Rule, type RuleMeta, type ScanOptions, type Severity } from './types.ts';
import { lineOf, SourceCache } from './source.ts';

/** Directories never walked: dependencies, VCS data, Bulwark's own home, build output. */
export const DEFAULT_SKIPPED_DIRS = ['node_modules', '.git', '.bulwark', 'dist', 'build'];
/** A `.gitignore`-like list at the scanned root: one glob per line, `#` comments, a trailing `/` for directories. */
export const IGNORE_FILE = '.bulwarkignore';

export interface ScannedFinding extends Finding {
  /** sha256(ruleId, file, normalised source line) in hex, 32 chars: what a baseline stores. */
  fingerprint: string;
}

export interface SuppressedFinding extends ScannedFinding {
  suppression: { line: number; reason: string };
}

/**
 * Something the scan could not do. `parse`: a file an engine could not read or parse (skipped);
 * `engine`: an engine failed as a whole (its findings are missing); `suppression`: a `bulwark-ignore`
 * without a reason (it does not suppress: the finding stays).
 */
export interface ScanError {
  kind: 'parse' | 'engine' | 'suppression';
  file: string;
  line?: number;
  reason: string;
}

export interface ScanResult {
  /** Absolute path of the scanned directory; finding files are relative to it. */
  root: string;
  findings: ScannedFinding[];
  suppressed: SuppressedFinding[];
  baselined: ScannedFinding[];
  files: { scanned: number; bytes: number };
  errors: ScanError[];
  /** Meta of every rule that ran, sorted by id (SARIF's rule table). */
  rules: RuleMeta[];
}

/** Fingerprints of accepted findings, as written by `bulwark scan --write-baseline`. */
export interface Baseline {
  version: 1;
  findings: Array<{ fingerprint: string; ruleId: string; file: string }>;
}

export interface ScanRequest extends ScanOptions {
  /** Rule ids to run; default every registered rule. */
  rules?: string[];
  baseline?: Baseline;
  /** Findings below this severity are dropped (not counted anywhere). */
  minSeverity?: Severity;
  /** Directory names skipped anywhere in the tree; default DEFAULT_SKIPPED_DIRS. */
  skipDirs?: string[];
}

export interface ScanDeps {
  /** The engines to run; default every src/scanner/engine/<id>/index.ts that exists. */
  engines?: Engine[];
  /** The rule registry; default src/scanner/rules/index.ts. */
  rules?: Record<string, Rule>;
  /** Told each engine start and end (the CLI's progress line). */
  onProgress?: (text: string) => void;
}

export function severityRank(s: Severity): number {
  return severities.indexOf(s);
}

export function atOrAbove(s: Severity, threshold: Severity): boolean {
  return severityRank(s) >= severityRank(threshold);
}

export function isSeverity(s: string): s is Severity {
  return (severities as readonly string[]).includes(s);
}

/** Loads each engine module that exists; a missing one means that engine is not built yet. */
export async function loadEngines(): Promise<Engine[]> {
  const found: Engine[] = [];
  for (const id of engineIds) {
    try {
      const mod = (await import(`./engine/${id}/index.ts`)) as { engine?: Engine };
      if (mod.engine) found.push(mod.engine);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND' || !String((err as Error).message).includes(`engine/${id}/index.ts`)) throw err;
    }
  }
  return found;
}

export async function scan(rootDir: string, req: ScanRequest = {}, deps: ScanDeps = {}): Promise<ScanResult> {
  const root = resolve(rootDir);
  try {
    if (!(await stat(root)).isDirectory()) throw new BulwarkError('BWK_E_SCANNER_ROOT_INVALID', [rootDir, 'not a directory']);
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new BulwarkError('BWK_E_SCANNER_ROOT_INVALID', [rootDir, (err as NodeJS.ErrnoException).code ?? 'unreadable']);
  }
  const allRules = deps.rules ?? registry;
  const selected = selectRules(allRules, req.rules);
  const engines = deps.engines ?? await loadEngines();
  const files = await walk(root, req.skipDirs ?? DEFAULT_SKIPPED_DIRS, await readIgnore(root));
  const options: ScanOptions = {
    ...(req.advisories !== undefined ? { advisories: req.advisories } : {}),
    ...(req.options !== undefined ? { options: req.options } : {}),
  };

  const errors: ScanError[] = [];
  const claimedFiles = new Set<string>();
  const runs = engines.map(async (engine) => {
    const rules = selected.filter((r) => r.meta.engine === engine.id);
    const claimed = files.filter((f) => engine.claims(f));
    for (const f of claimed) claimedFiles.add(f);
    if (rules.length === 0 || claimed.length === 0) return [];
    deps.onProgress?.(`${engine.id}: ${claimed.length} file(s), ${rules.length} rule(s)`);
    try {
      return await engine.run({
        root, files: claimed, rules, options,
        onError: (file, reason) => { errors.push({ kind: 'parse', file, reason }); },
      });
    } catch (err) {
      errors.push({ kind: 'engine', file: '', reason: `engine ${engine.id} failed: ${oneLine(err)}` });
      return [];
    }
  });
  const raw = (await Promise.all(runs)).flat();
  const sizes = await Promise.all([...claimedFiles].map(async (f) => (await stat(join(root, f)).catch(() => ({ size: 0 }))).size));
  const bytes = sizes.reduce((a, b) => a + b, 0);

  const sources = new SourceCache(root);
  const findings: ScannedFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  const baselined: ScannedFinding[] = [];
  const accepted = new Map<string, number>();
  for (const b of req.baseline?.findings ?? []) accepted.set(b.fingerprint, (accepted.get(b.fingerprint) ?? 0) + 1);
  const reportedBadSuppressions = new Set<string>();

  for (const f of raw) {
    if (req.minSeverity && !atOrAbove(f.severity, req.minSeverity)) continue;
    const lines = await sources.lines(f.file);
    const finding: ScannedFinding = { ...f, fingerprint: fingerprint(f.ruleId, f.file, lines ? lineOf(lines, f.line) : f.message) };
    const s = lines ? findSuppression(lines, f.line, f.ruleId) : undefined;
    if (s && s.reason) {
      suppressed.push({ ...finding, suppression: { line: s.line, reason: s.reason } });
      continue;
    }
    if (s) {
      const key = `${f.file}:${s.line}:${f.ruleId}`;
      if (!reportedBadSuppressions.has(key)) {
        reportedBadSuppressions.add(key);
        errors.push({ kind: 'suppression', file: f.file, line: s.line, reason: `bulwark-ignore ${f.ruleId} has no reason ("bulwark-ignore ${f.ruleId}: <why>"): the finding is not suppressed` });
      }
    }
    const left = accepted.get(finding.fingerprint) ?? 0;
    if (left > 0) {
      accepted.set(finding.fingerprint, left - 1);
      baselined.push(finding);
      continue;
    }
    findings.push(finding);
  }

  return {
    root,
    findings: findings.sort(byImportance),
    suppressed: suppressed.sort(byImportance),
    baselined: baselined.sort(byImportance),
    files: { scanned: claimedFiles.size, bytes },
    errors: errors.sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0)),
    rules: selected.map((r) => r.meta),
  };
}

function selectRules(all: Record<string, Rule>, ids: string[] | undefined): Rule[] {
  if (!ids) return Object.keys(all).sort().map((id) => all[id]!);
  for (const id of ids) if (!Object.hasOwn(all, id)) throw new BulwarkError('BWK_E_SCANNER_RULE_UNKNOWN', [id]);
  return [...new Set(ids)].sort().map((id) => all[id]!);
}

/**
 * Problems that leave part of the project unexamined: an engine that failed as a whole, or a file an
 * engine could not read, parse or chose to skip (minified, too large, nested too deep). A rule failing
 * on one file (reason "rule …") or a suppression without a reason is not one: the other rules still ran.
 * A clean report over such a scan proves nothing, so `bulwark scan` and the deploy gate fail on it.
 */
export function unanalysed(result: Pick<ScanResult, 'errors'>): ScanError[] {
  return result.errors.filter((e) => e.kind === 'engine' || (e.kind === 'parse' && !e.reason.startsWith('rule ')));
}

/** Most severe first, then by place, so a report reads top-down and two runs print the same order. */
export function byImportance(a: Finding, b: Finding): number {
  return severityRank(b.severity) - severityRank(a.severity)
    || a.file.localeCompare(b.file)
    || a.line - b.line
    || a.column - b.column
    || a.ruleId.localeCompare(b.ruleId);
}

/**
 * Rule, file and the finding's source line with whitespace collapsed: the line number is left out so
 * that code added above a baselined finding does not make it new again.
 */
export function fingerprint(ruleId: string, file: string, sourceLine: string): string {
  const normalised = sourceLine.replace(/\s+/g, ' ').trim();
  return createHash('sha256').update(`${ruleId}\0${file}\0${normalised}`).digest('hex').slice(0, 32);
}

// `// bulwark-ignore BWK-X: why`, `/* bulwark-ignore BWK-X: why */`, `# bulwark-ignore BWK-X: why`;
// several ids may be listed, comma-separated, before the colon.
const SUPPRESSION = /(?:\/\/|\/\*|#)\s*bulwark-ignore\s+([A-Z0-9-]+(?:\s*,\s*[A-Z0-9-]+)*)\s*(?::([^]*?))?\s*(?:\*\/\s*)?$/;
const COMMENT_LINE = /^\s*(?:\/\/|\/\*|#)/;

/**
 * The suppression for `ruleId` on the finding's line (a trailing comment) or alone on the line above;
 * `reason` is '' when the author gave none.
 */
export function findSuppression(lines: string[], line: number, ruleId: string): { line: number; reason: string } | undefined {
  for (const [n, mustBeCommentLine] of [[line, false], [line - 1, true]] as const) {
    const text = lines[n - 1];
    if (text === undefined || (mustBeCommentLine && !COMMENT_LINE.test(text))) continue;
    const m = SUPPRESSION.exec(text);
    if (!m) continue;
    const ids = m[1]!.split(',').map((s) => s.trim());
    if (ids.includes(ruleId)) return { line: n, reason: (m[2] ?? '').trim() };
  }
  return undefined;
}

async function readIgnore(root: string): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(join(root, IGNORE_FILE), 'utf8');
  } catch {
    return [];
  }
  return text.split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
}

/** Whether a relative path (or directory, with a trailing '/') is matched by an ignore pattern. */
export function ignored(rel: string, isDir: boolean, patterns: string[]): boolean {
  for (const raw of patterns) {
    const dirOnly = raw.endsWith('/');
    if (dirOnly && !isDir) continue;
    let p = raw.replace(/\/+$/, '');
    // A pattern without a slash matches at any depth, as in .gitignore.
    p = p.startsWith('/') ? p.slice(1) : p.includes('/') ? p : `**/${p}`;
    if (matchesGlob(rel, p)) return true;
  }
  return false;
}

async function walk(root: string, skipDirs: string[], patterns: string[]): Promise<string[]> {
  const skip = new Set(skipDirs);
  const out: string[] = [];
  const visit = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    const subdirs: Promise<void>[] = [];
    for (const e of entries) {
      const abs = join(dir, e.name);
      const rel = relative(root, abs).split(sep).join('/');
      // Symbolic links are not followed: a link out of the project would scan someone else's tree.
      if (e.isDirectory()) {
        if (!skip.has(e.name) && !ignored(rel, true, patterns)) subdirs.push(visit(abs));
      } else if (e.isFile() && !ignored(rel, false, patterns)) {
        out.push(rel);
      }
    }
    await Promise.all(subdirs);
  };
  await visit(root);
  return out.sort();
}

function oneLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0]!.slice(0, 300);
}

