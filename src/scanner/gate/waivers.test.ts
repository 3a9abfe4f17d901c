import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isBulwarkError } from '../../errors.ts';
import { parseWaivers, waiverCovers, waiverDateProblems } from './waivers.ts';
import { judge, claimOf, unwaivedInClaim } from './gate.ts';
import type { ScannedFinding } from '../scan.ts';

const now = new Date('2026-06-01T12:00:00Z');

function problems(source: string): string[] {
  try {
    parseWaivers(source, 'bulwark.waivers.yaml', now);
  } catch (err) {
    assert.ok(isBulwarkError(err) && err.code === 'BWK_E_SCANNER_WAIVERS_INVALID', String(err));
    return (err.detail as { problems: string[] }).problems;
  }
  return [];
}

test('waivers: a valid file parses; reasons are trimmed; an empty file is no waivers', () => {
  assert.deepEqual(parseWaivers('- rule: BWK-INJ-CMD\n  reason: " enum input "\n  expires: 2026-08-30\n  approvedBy: sec@example.com\n', 'w.yaml', now),
    [{ rule: 'BWK-INJ-CMD', reason: 'enum input', expires: '2026-08-30', approvedBy: 'sec@example.com' }]);
  assert.deepEqual(parseWaivers('', 'w.yaml', now), []);
  assert.deepEqual(parseWaivers('- { rule: BWK-SEC-HARDCODED, file: "test/**", reason: fixtures, expires: 2026-06-01 }\n', 'w.yaml', now).length, 1);
});

test('waivers: every problem at file:line:col, all at once', () => {
  assert.deepEqual(problems([
    '- rule: BWK-INJ-CMD',          // 1: no reason
    '  expires: 2026-07-01',
    '- rule: not-an-id',            // 3
    '  reason: ok',
    '  expires: 2026-07-01',
    '- rule: BWK-INJ-SQL',          // 6
    '  reason: "   "',
    '  expires: 2026-07-01',
    '  colour: red',                // 9
    '',
  ].join('\n')), [
    'bulwark.waivers.yaml:1:3: waiver 1 has no reason (rule, reason and expires are required)',
    'bulwark.waivers.yaml:3:9: waiver 2: rule must be a rule id like BWK-INJ-CMD',
    'bulwark.waivers.yaml:7:11: waiver 3: reason must say why the finding is accepted (it is empty)',
    'bulwark.waivers.yaml:9:3: waiver 3: unknown key "colour" (allowed: rule, file, reason, expires, approvedBy)',
  ]);
  assert.deepEqual(problems('- rule: BWK-INJ-CMD\n  reason: r\n  expires: 2026-05-31\n- rule: BWK-INJ-CMD\n  reason: r\n  expires: 2026-09-01\n- rule: BWK-INJ-CMD\n  reason: r\n  expires: 2026-02-30\n'), [
    'bulwark.waivers.yaml:3:12: waiver 1 (BWK-INJ-CMD) expired on 2026-05-31: renew it with a new reason and date, or fix the finding',
    'bulwark.waivers.yaml:6:12: waiver 2 (BWK-INJ-CMD) expires 2026-09-01 is more than 90 days ahead (latest 2026-08-30)',
    'bulwark.waivers.yaml:9:12: waiver 3 (BWK-INJ-CMD) expires 2026-02-30 is not a real date',
  ]);
  assert.deepEqual(problems('rule: BWK-INJ-CMD\n'), ['bulwark.waivers.yaml:1:1: the file must be a YAML list of waivers (- rule: …, reason: …, expires: …)']);
  assert.match(problems('- rule: [\n')[0]!, /^bulwark\.waivers\.yaml:\d+:\d+: /);
  assert.deepEqual(waiverDateProblems('2026-06-01', now), []);
});

const finding = (ruleId: string, severity: ScannedFinding['severity'], file = 'index.js'): ScannedFinding =>
  ({ ruleId, severity, file, line: 3, column: 1, messageId: 'm', message: 'm', fingerprint: '0'.repeat(32) });

test('gate: blocks at or above failOn unless a waiver (rule, optional file glob) covers it', () => {
  const findings = [finding('BWK-INJ-CMD', 'critical'), finding('BWK-INJ-CMD', 'critical', 'src/admin.js'), finding('BWK-MAN-NO-BUDGET', 'low')];
  const waivers = [{ rule: 'BWK-INJ-CMD', file: 'src/**', reason: 'admin only', expires: '2026-07-01' }];
  const v = judge(findings, waivers, 'high');
  assert.deepEqual(v.blocking.map((f) => f.file), ['index.js']);
  assert.deepEqual(v.waived.map((w) => [w.file, w.reason]), [['src/admin.js', 'admin only']]);
  assert.ok(waiverCovers({ rule: 'BWK-X-Y' }, 'BWK-X-Y', 'any/file.js'));
  assert.ok(!waiverCovers({ rule: 'BWK-X-Y', file: 'a.js' }, 'BWK-X-Y', 'b.js'));
  const claim = claimOf(findings, 2, 5, v);
  assert.deepEqual(claim.counts, { info: 0, low: 1, medium: 0, high: 0, critical: 2 });
  assert.equal(unwaivedInClaim(claim, 'high'), 1);
  assert.equal(unwaivedInClaim(claim, 'low'), 2);
  assert.equal(unwaivedInClaim({ ...claim, counts: { ...claim.counts, critical: 1 } }, 'critical'), 0);
});
