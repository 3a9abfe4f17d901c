// Baseline files (`bulwark scan --write-baseline f`, `--baseline f`): the fingerprints of findings a
// team has accepted for now, so a scan in CI fails only on new ones. A fingerprint leaves out the line
// number (src/scanner/scan.ts `fingerprint`), so moving code does not resurrect a finding.

import { readFile, writeFile } from 'node:fs/promises';
import { BulwarkError } from '../errors.ts';
import type { Baseline, ScanResult } from './scan.ts';

export function baselineOf(result: ScanResult): Baseline {
  return {
    version: 1,
    findings: [...result.findings, ...result.baselined]
      .map((f) => ({ fingerprint: f.fingerprint, ruleId: f.ruleId, file: f.file }))
      .sort((a, b) => a.file.localeCompare(b.file) || a.ruleId.localeCompare(b.ruleId) || a.fingerprint.localeCompare(b.fingerprint)),
  };
}

export async function writeBaseline(file: string, result: ScanResult): Promise<void> {
  await writeFile(file, JSON.stringify(baselineOf(result), null, 2) + '\n');
}

export async function readBaseline(file: string, shown = file): Promise<Baseline> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_BASELINE_INVALID', [shown, err instanceof SyntaxError ? 'not JSON' : 'cannot be read']);
  }
  const v = value as Partial<Baseline>;
  if (!v || typeof v !== 'object' || v.version !== 1 || !Array.isArray(v.findings)) {
    throw new BulwarkError('BWK_E_SCANNER_BASELINE_INVALID', [shown, 'expected { "version": 1, "findings": [...] }']);
  }
  v.findings.forEach((f, i) => {
    if (!f || typeof f.fingerprint !== 'string' || !/^[0-9a-f]{32}$/.test(f.fingerprint) || typeof f.ruleId !== 'string' || typeof f.file !== 'string') {
      throw new BulwarkError('BWK_E_SCANNER_BASELINE_INVALID', [shown, `findings[${i}] needs fingerprint (32 hex), ruleId and file`]);
    }
  });
  return v as Baseline;
}
