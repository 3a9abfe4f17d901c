// SARIF 2.1.0 (OASIS), the format GitHub code scanning ingests. One run; the rule table lists every
// rule that ran, results point at files relative to %SRCROOT% (the scanned root, which GitHub maps to
// the repository checkout). Taint traces become codeFlows; suppressed findings are kept with an
// inSource suppression (so code scanning shows them as dismissed, with the author's reason); baselined
// findings are left out. test/scanner-sarif.test.ts validates this output against the official schema.

import { owaspServerless, type Location, type RuleMeta, type Severity } from '../types.ts';
import type { ScanResult, ScannedFinding } from '../scan.ts';
import { docsPath } from './summary.ts';

export const SRCROOT = '%SRCROOT%';

type Level = 'error' | 'warning' | 'note';

const levels: Record<Severity, Level> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };

// GitHub ranks alerts by properties['security-severity'] (a CVSS-like score): critical > 9, high 7-8.9,
// medium 4-6.9, low 0.1-3.9.
const securitySeverity: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.5' };

export interface SarifOptions {
  toolVersion: string;
  /** Absolute base URL the rule pages are published under (helpUri = base + docs/rules/<id>.md); none: no helpUri. */
  docsBaseUrl?: string;
}

export function sarifReport(result: ScanResult, opts: SarifOptions): Record<string, unknown> {
  const index = new Map(result.rules.map((m, i) => [m.id, i]));
  const result_ = (f: ScannedFinding, suppression?: { reason: string }) => ({
    ruleId: f.ruleId,
    ...(index.has(f.ruleId) ? { ruleIndex: index.get(f.ruleId) } : {}),
    level: levels[f.severity],
    message: { text: f.message },
    locations: [{ physicalLocation: physical(f) }],
    partialFingerprints: { 'bulwarkFingerprint/v1': f.fingerprint },
    ...(f.trace && f.trace.length > 0 ? {
      codeFlows: [{
        threadFlows: [{
          locations: f.trace.map((l, i) => ({
            location: { physicalLocation: physical(l), message: { text: i === 0 ? 'source' : i === f.trace!.length - 1 ? 'sink' : 'step' } },
          })),
        }],
      }],
    } : {}),
    ...(suppression ? { suppressions: [{ kind: 'inSource', justification: suppression.reason }] } : {}),
    properties: { severity: f.severity },
  });
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'Bulwark',
          semanticVersion: opts.toolVersion,
          version: opts.toolVersion,
          rules: result.rules.map((m) => ruleDescriptor(m, opts.docsBaseUrl)),
        },
      },
      columnKind: 'utf16CodeUnits',
      results: [
        ...result.findings.map((f) => result_(f)),
        ...result.suppressed.map((f) => result_(f, f.suppression)),
      ],
    }],
  };
}

function ruleDescriptor(m: RuleMeta, docsBaseUrl: string | undefined) {
  const docs = docsPath(m.id);
  const guards = m.mitigatedBy && m.mitigatedBy.length > 0 ? ` Mitigated at run time by the ${m.mitigatedBy.join(', ')} guard(s).` : '';
  return {
    id: m.id,
    name: ruleName(m.id),
    shortDescription: { text: m.description },
    fullDescription: { text: `${m.description} ${m.fix}${guards}` },
    help: {
      text: `${m.fix}${guards} See ${docs}.`,
      markdown: `${m.fix}${guards}\n\nOWASP Serverless ${m.owasp} (${owaspServerless[m.owasp]}); ${m.cwe.join(', ')}. See \`${docs}\`.`,
    },
    ...(docsBaseUrl ? { helpUri: new URL(docs, docsBaseUrl.endsWith('/') ? docsBaseUrl : `${docsBaseUrl}/`).href } : {}),
    defaultConfiguration: { level: levels[m.severity] },
    properties: {
      tags: ['security', ...m.cwe.map((c) => `external/cwe/${c.toLowerCase()}`), `owasp-serverless/${m.owasp}`, `engine/${m.engine}`],
      precision: 'high',
      'security-severity': securitySeverity[m.severity],
      severity: m.severity,
      ...(m.mitigatedBy ? { mitigatedBy: m.mitigatedBy } : {}),
    },
  };
}

/** BWK-INJ-CMD → BwkInjCmd: SARIF's `name` is an identifier-like label, the id stays the key. */
export function ruleName(id: string): string {
  return id.toLowerCase().split('-').map((p) => p.charAt(0).toUpperCase() + p.slice(1)).join('');
}

function physical(l: Location) {
  const region: Record<string, number> = { startLine: Math.max(1, l.line), startColumn: Math.max(1, l.column) };
  if (l.endLine !== undefined && l.endLine >= l.line) region.endLine = l.endLine;
  if (l.endColumn !== undefined && l.endColumn >= 1) region.endColumn = l.endColumn;
  return {
    artifactLocation: { uri: l.file.split('/').map(encodeURIComponent).join('/'), uriBaseId: SRCROOT },
    region,
  };
}
