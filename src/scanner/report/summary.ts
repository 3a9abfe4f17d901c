// Counts shared by every report format and by the deploy gate's record of a scan.

import { severities, type Severity } from '../types.ts';
import type { ScanResult } from '../scan.ts';

export interface ScanSummary {
  findings: number;
  /** Findings (not suppressed, not baselined) per severity; every severity is present. */
  bySeverity: Record<Severity, number>;
  suppressed: number;
  baselined: number;
  files: number;
  bytes: number;
  errors: number;
}

export function summarise(result: ScanResult): ScanSummary {
  const bySeverity = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of result.findings) bySeverity[f.severity]++;
  return {
    findings: result.findings.length,
    bySeverity,
    suppressed: result.suppressed.length,
    baselined: result.baselined.length,
    files: result.files.scanned,
    bytes: result.files.bytes,
    errors: result.errors.length,
  };
}

/** Where a rule's page lives, relative to the repository root. */
export function docsPath(ruleId: string): string {
  return `docs/rules/${ruleId}.md`;
}
