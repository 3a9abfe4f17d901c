// Turning a rule's Report into a Finding, shared by the manifest and IaC engines: the engine, not the
// rule, fills in the rule id, the severity (the rule's, unless the report raises or lowers it) and the
// message rendered from the rule's message table.

import type { Finding, Report, Rule } from '../types.ts';

export function toFinding(rule: Rule<unknown>, r: Report): Finding {
  const template = rule.meta.messages[r.messageId];
  if (template === undefined) throw new Error(`${rule.meta.id} reported unknown message id "${r.messageId}"`);
  const message = template.replace(/\{\{\s*(\w+)\s*\}\}/g, (whole, name: string) => {
    const v = r.data?.[name];
    return v === undefined ? whole : String(v);
  });
  return { ...r, ruleId: rule.meta.id, severity: r.severity ?? rule.meta.severity, message };
}

/** Findings in a stable order: file, line, column, rule. */
export function sortFindings(findings: Finding[]): Finding[] {
  return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column || a.ruleId.localeCompare(b.ruleId));
}
