// The gateway's half of the deploy gate. The deployer's CLI scans the whole project and sends a
// summary with the deploy (a ScanClaim); the gateway cannot re-scan code it only has as a bundle, but it
// has the manifest, so it re-runs the manifest engine on exactly what it is about to store, and holds
// both to its own scanner.failOn:
//
//   waivers in the claim: real dates, not expired, at most 90 days ahead     BWK_E_SCANNER_WAIVERS_INVALID
//   the claim's findings at or above failOn, all accounted for by waivers    BWK_E_SCANNER_GATE_REFUSED
//   the manifest re-scan's findings at or above failOn, all waived           BWK_E_SCANNER_GATE_REFUSED
//
// A deploy without a claim (an older CLI, a raw API call, `serve --quickstart`) is not refused: its
// re-scan counts are recorded with `source: none` for review (docs/scanner.md, "Known gaps") — unless
// config scanner.requireScan says to refuse it, which makes the re-scan binding on every deploy.

import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, posix } from 'node:path';
import { BulwarkError } from '../../errors.ts';
import { severities, type Engine, type Finding, type Severity } from '../types.ts';
import { atOrAbove, byImportance, loadEngines } from '../scan.ts';
import { rules as registry } from '../rules/index.ts';
import { unwaivedInClaim, type ScanClaim } from './gate.ts';
import { waiverCovers, waiverDateProblems } from './waivers.ts';

export interface ScanGate {
  failOn: Severity;
  /** config scanner.requireScan: a deploy without a claim is refused instead of recorded. */
  requireScan: boolean;
  /** Findings of the manifest engine over the manifest (and the files it references) as received. */
  rescanManifest(manifestSource: string, files: Record<string, string>): Promise<Finding[]>;
}

export interface GateOutcome {
  source: 'cli' | 'none';
  serverCounts: Record<Severity, number>;
}

/** A gate over the manifest engine, if it is built; without it the re-scan finds nothing. */
export async function createScanGate(failOn: Severity, requireScan = false): Promise<ScanGate> {
  const engine: Engine | undefined = (await loadEngines()).find((e) => e.id === 'manifest');
  const rules = Object.values(registry).filter((r) => r.meta.engine === 'manifest');
  return {
    failOn,
    requireScan,
    async rescanManifest(manifestSource, files) {
      if (!engine || rules.length === 0) return [];
      const root = await mkdtemp(join(tmpdir(), 'bwk-gate-'));
      try {
        for (const [rel, text] of Object.entries(files)) {
          // Only plain relative paths: a key like ../../x must not write outside the temp directory.
          const norm = posix.normalize(rel);
          if (norm !== rel || rel.startsWith('/') || rel.startsWith('..') || rel.includes('\0')) continue;
          // The files are only what the manifest references (schemas): one named like a manifest must
          // not stand in for the manifest being deployed, and only that one is re-scanned.
          if (engine.claims(rel) || rel === '.' || rel.split('/')[0] === 'bulwark.yaml') continue;
          try {
            await mkdir(dirname(join(root, rel)), { recursive: true });
            await writeFile(join(root, rel), text);
          } catch {
            // Keys that collide (a and a/b.json) leave one of them out; the manifest is still re-scanned.
          }
        }
        // Written last, so nothing in `files` can overwrite it.
        await writeFile(join(root, 'bulwark.yaml'), manifestSource);
        return await engine.run({ root, files: ['bulwark.yaml'], rules, options: {} });
      } finally {
        await rm(root, { recursive: true, force: true });
      }
    },
  };
}

export async function checkScanGate(gate: ScanGate, manifestSource: string, files: Record<string, string>, claim: ScanClaim | undefined, now: Date = new Date()): Promise<GateOutcome> {
  if (!claim && gate.requireScan) {
    throw new BulwarkError('BWK_E_SCANNER_GATE_REFUSED', ['this gateway requires the scan summary that `bulwark deploy` sends (scanner.requireScan); deploy with the CLI']);
  }
  if (claim) {
    const problems = claim.waived.flatMap((w, i) => waiverDateProblems(w.expires, now).map((p) => `waived finding ${i + 1} (${w.ruleId} in ${w.file}): ${p}`));
    if (problems.length > 0) throw new BulwarkError('BWK_E_SCANNER_WAIVERS_INVALID', [problems.join('; ')]);
    const unwaived = unwaivedInClaim(claim, gate.failOn);
    if (unwaived > 0) {
      throw new BulwarkError('BWK_E_SCANNER_GATE_REFUSED', [`the scan sent with the deploy has ${unwaived} finding(s) at or above ${gate.failOn} without a waiver`]);
    }
  }
  const found = (await gate.rescanManifest(manifestSource, files)).sort(byImportance);
  const serverCounts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of found) serverCounts[f.severity]++;
  const blocking = found.filter((f) => atOrAbove(f.severity, gate.failOn) && !(claim?.waived ?? []).some((w) => waiverCovers({ rule: w.ruleId, file: w.file }, f.ruleId, f.file)));
  // Held to the re-scan only when the deploy went through the CLI's gate: it then claims to have no
  // unwaived finding, and a manifest finding it did not waive means the claim is false (or was made
  // at a laxer --fail-on). A deploy without a claim is recorded (source none), not refused.
  if (claim && blocking.length > 0) {
    const list = blocking.slice(0, 5).map((f) => `${f.ruleId} (${f.file}:${f.line})`).join(', ');
    throw new BulwarkError('BWK_E_SCANNER_GATE_REFUSED', [`the gateway's re-scan of the manifest found ${blocking.length} finding(s) at or above ${gate.failOn} without a waiver: ${list}`]);
  }
  return { source: claim ? 'cli' : 'none', serverCounts };
}
