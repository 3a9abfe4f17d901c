// The deploy gate's decision, shared by the CLI (over the full scan) and the gateway (over its own
// re-scan of the manifest, and over the summary the CLI sends): a finding at or above `failOn` blocks
// unless a waiver covers it; findings below `failOn` never need one.

import { severities, type Severity } from '../types.ts';
import { atOrAbove, type ScannedFinding } from '../scan.ts';
import { lineTextPattern, reasonPattern, waiverCovers, type Waiver } from './waivers.ts';

export interface WaivedFinding {
  ruleId: string;
  severity: Severity;
  file: string;
  line: number;
  reason: string;
  expires: string;
  approvedBy?: string;
}

export interface GateVerdict {
  failOn: Severity;
  blocking: ScannedFinding[];
  waived: WaivedFinding[];
}

export function judge(findings: ScannedFinding[], waivers: Waiver[], failOn: Severity): GateVerdict {
  const blocking: ScannedFinding[] = [];
  const waived: WaivedFinding[] = [];
  for (const f of findings) {
    if (!atOrAbove(f.severity, failOn)) continue;
    const w = waivers.find((x) => waiverCovers(x, f.ruleId, f.file));
    if (!w) blocking.push(f);
    else waived.push({ ruleId: f.ruleId, severity: f.severity, file: f.file, line: f.line, reason: w.reason, expires: w.expires, ...(w.approvedBy ? { approvedBy: w.approvedBy } : {}) });
  }
  return { failOn, blocking, waived };
}

/**
 * What `bulwark deploy` sends with the bundle (the `scan` field of the deploy body) and what the gateway
 * records per version: the threshold used, finding counts by severity (waived ones included; suppressed
 * and baselined ones are counted apart) and each waived finding with its waiver.
 */
export interface ScanClaim {
  failOn: Severity;
  counts: Record<Severity, number>;
  suppressed: number;
  files: number;
  waived: WaivedFinding[];
}

export function claimOf(findings: ScannedFinding[], suppressed: number, files: number, verdict: GateVerdict): ScanClaim {
  const counts = Object.fromEntries(severities.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return { failOn: verdict.failOn, counts, suppressed, files, waived: verdict.waived };
}

/** Findings of a claim at or above `failOn` that none of its waived entries accounts for. */
export function unwaivedInClaim(claim: ScanClaim, failOn: Severity): number {
  const at = severities.filter((s) => atOrAbove(s, failOn)).reduce((n, s) => n + claim.counts[s], 0);
  return at - claim.waived.filter((w) => atOrAbove(w.severity, failOn)).length;
}

const severityEnum = { enum: [...severities] } as const;

/** JSON Schema of a ScanClaim, as the admin API validates the deploy body's `scan` field. */
export const scanClaimSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['failOn', 'counts', 'suppressed', 'files', 'waived'],
  properties: {
    failOn: severityEnum,
    counts: {
      type: 'object', additionalProperties: false, required: [...severities],
      properties: Object.fromEntries(severities.map((s) => [s, { type: 'integer', minimum: 0, maximum: 1_000_000 }])),
    },
    suppressed: { type: 'integer', minimum: 0, maximum: 1_000_000 },
    files: { type: 'integer', minimum: 0, maximum: 10_000_000 },
    waived: {
      type: 'array', maxItems: 1000,
      items: {
        type: 'object', additionalProperties: false, required: ['ruleId', 'severity', 'file', 'line', 'reason', 'expires'],
        properties: {
          ruleId: { type: 'string', pattern: '^BWK-[A-Z0-9]+(-[A-Z0-9]+)+$' },
          severity: severityEnum,
          file: { type: 'string', minLength: 1, maxLength: 1024, pattern: lineTextPattern },
          line: { type: 'integer', minimum: 1 },
          reason: { type: 'string', pattern: reasonPattern, maxLength: 2000 },
          expires: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}$' },
          approvedBy: { type: 'string', minLength: 1, maxLength: 256, pattern: lineTextPattern },
        },
      },
    },
  },
} as const;
