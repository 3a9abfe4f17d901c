// The JSON report (docs/scanner.md, "JSON format"): a stable shape for scripts. `version` changes only
// when a field is removed or changes meaning; new fields may appear.

import type { ScanResult, ScannedFinding } from '../scan.ts';
import { docsPath, summarise, type ScanSummary } from './summary.ts';

export interface JsonFinding extends ScannedFinding {
  owasp?: string;
  cwe?: string[];
  mitigatedBy?: string[];
  docs: string;
}

export interface JsonReport {
  version: 1;
  tool: { name: 'bulwark'; version: string };
  summary: ScanSummary;
  findings: JsonFinding[];
  suppressed: Array<JsonFinding & { suppression: { line: number; reason: string } }>;
  baselined: JsonFinding[];
  errors: ScanResult['errors'];
}

export function jsonReport(result: ScanResult, toolVersion: string): JsonReport {
  const metas = new Map(result.rules.map((m) => [m.id, m]));
  const enrich = <F extends ScannedFinding>(f: F): F & JsonFinding => {
    const meta = metas.get(f.ruleId);
    return {
      ...f,
      ...(meta ? { owasp: meta.owasp, cwe: meta.cwe, mitigatedBy: meta.mitigatedBy ?? [] } : {}),
      docs: docsPath(f.ruleId),
    };
  };
  return {
    version: 1,
    tool: { name: 'bulwark', version: toolVersion },
    summary: summarise(result),
    findings: result.findings.map(enrich),
    suppressed: result.suppressed.map(enrich),
    baselined: result.baselined.map(enrich),
    errors: result.errors,
  };
}
