import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { loadRules, parseRules } from './rules.ts';

/** The message lines of a BWK_E_INCIDENT_RULES_INVALID thrown by `fn`. */
function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BulwarkError, String(err));
    assert.equal(err.code, 'BWK_E_INCIDENT_RULES_INVALID');
    return err.message.split('\n').slice(1);
  }
  assert.fail('no error thrown');
}

test('the shipped rules parse, with the defaults the language promises', () => {
  const rules = loadRules(null);
  assert.deepEqual(rules.map((r) => r.id), ['credential-stuffing', 'injection-campaign', 'egress-forbidden-host', 'budget-exhausted', 'budget-burn', 'new-capability-denial']);
  const egress = rules.find((r) => r.id === 'egress-forbidden-host')!;
  assert.deepEqual([egress.threshold, egress.windowMs, egress.groupBy], [1, 60_000, 'function']);
  assert.deepEqual(rules.find((r) => r.id === 'budget-burn')!.match[0]!.detail, { percent: ['80'] });
});

test('every problem is named with file:line:col, shape and meaning alike', () => {
  const source = [
    'rules:',                                  // 1
    '  - id: Bad_Id',                          // 2
    '    severity: urgent',                    // 3
    '    match: [{ type: incident.opened }]',  // 4
    '    window: 5 minutes',                   // 5
    '    actions:',                            // 6
    '      - type: throttle-caller',           // 7
    '        ratez: 1/s',                      // 8
    '  - id: dup',                             // 9
    '    severity: low',                       // 10
    '    match: [{ type: auth.failed }]',      // 11
    '    actions: []',                         // 12
    '  - id: dup',                             // 13
    '    severity: low',                       // 14
    '    match: [{ type: auth.failed }]',      // 15
    '    actions: []',                         // 16
  ].join('\n');
  const lines = problems(() => parseRules(source, 'r.yaml'));
  assert.deepEqual(lines, [
    'r.yaml:2:9: rules[0].id: must be lowercase letters, digits and dashes, starting with a letter',
    'r.yaml:3:15: rules[0].severity: must be one of low, medium, high, critical',
    "r.yaml:4:21: rules[0].match[0].type: 'incident.opened' is published by incidents themselves; a rule over it would feed on its own actions",
    'r.yaml:5:13: rules[0].window: must be a duration like 30s, 10m, 1h or 7d',
    "r.yaml:7:9: rules[0].actions[0]: missing 'rate'",
    "r.yaml:7:9: rules[0].actions[0]: unknown key 'ratez'",
    "r.yaml:13:9: rules[2].id: 'dup' is already used by an earlier rule",
  ]);
});

test('syntax errors and semantic limits are located too', () => {
  assert.match(problems(() => parseRules('rules:\n  - id: a\n    match: [x\n', 'r.yaml'))[0]!, /^r\.yaml:\d+:\d+: /);
  const lines = problems(() => parseRules('rules:\n  - id: a\n    severity: low\n    match: [{ type: auth.failed }]\n    window: 31d\n    firstSeen: [target]\n    threshold: 2\n    actions: []\n', 'r.yaml'));
  assert.deepEqual(lines, ['r.yaml:5:13: rules[0].window: at most 30d', 'r.yaml:7:16: rules[0].threshold: a firstSeen rule matches on the first sighting; leave threshold out']);
});

test('a rules file replaces shipped rules by id, adds its own and disables shipped ones; it cannot disable what does not exist', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-rules-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, 'rules.yaml');
  await writeFile(file, [
    'disable: [budget-burn, new-capability-denial]',
    'rules:',
    '  - id: credential-stuffing',
    '    severity: critical',
    '    match: [{ type: auth.failed }]',
    '    threshold: 50',
    '    actions: []',
    '  - id: scanning',
    '    severity: low',
    '    match: [{ type: route.unknown }]',
    '    threshold: 100',
    '    window: 1h',
    '    actions: [{ type: block-address, ttl: 1d }]',
  ].join('\n'));
  const rules = loadRules(file);
  assert.deepEqual(rules.map((r) => r.id), ['injection-campaign', 'egress-forbidden-host', 'budget-exhausted', 'credential-stuffing', 'scanning']);
  assert.deepEqual([rules[3]!.severity, rules[3]!.threshold, rules[3]!.actions], ['critical', 50, []]);
  assert.deepEqual(rules[4]!.actions, [{ type: 'block-address', ttlMs: 86_400_000 }]);

  await writeFile(file, 'disable: [no-such-rule]\n');
  assert.throws(() => loadRules(file), /disable names no shipped rule: no-such-rule/);
  assert.throws(() => loadRules(join(dir, 'missing.yaml')), (err) => err instanceof BulwarkError && /missing\.yaml: cannot be read \(ENOENT\)/.test(err.message));
});
