import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createChecker, rule, type FileBudget } from '../../src/scanner/rules/BWK-DOS-REDOS.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-DOS-REDOS', { messageId: 'vulnerable' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "regex-looking text in a comment and a string", code: "// matches /(a+)+$/ in the old version\nconst doc = 'use /(x+)+y/ carefully';\nmodule.exports = doc;\n" },
    { name: "division is not a regex", code: "const a = 4, b = 2, c = 1;\nmodule.exports = (a / (b + c) * 2) / 3 + a * b;\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "exponential literal", code: "module.exports = (s) => /^(\\d+)+$/.test(s);\n", errors: [{ messageId: 'vulnerable', line: 1 }] },
    { name: "polynomial literal in a replace", code: "module.exports = (s) => s.replace(/\\s+$|^\\s*x\\s*=\\s*$/g, '');\n", errors: [{ messageId: 'vulnerable', line: 1 }] },
  ],
});

describe('a check that runs out of time', () => {
  // recheck needs ≈ 5–20 ms for this pattern on an idle machine: 1 ms stands for a loaded one.
  const hard = '^([a-zA-Z0-9]+)+@example\\.com$';

  test('is retried with the longer budget, so load does not turn a finding into a pass', () => {
    const check = createChecker({ checkMs: 1, retryMs: 5000, retriesPerFile: 2 });
    const budget: FileBudget = { timeouts: 0, retries: 0 };
    assert.equal(check(hard, '', budget), 'exponential');
    assert.deepEqual(budget, { timeouts: 0, retries: 1 });
  });

  test('counts as a timeout once the file has used its retries, and is checked again in the next file', () => {
    const check = createChecker({ checkMs: 1, retryMs: 5000, retriesPerFile: 1 });
    const spent: FileBudget = { timeouts: 0, retries: 1 };
    assert.equal(check(hard, '', spent), null);
    assert.deepEqual(spent, { timeouts: 1, retries: 1 });
    // Not remembered as safe: a file with a retry left gets the finding.
    const next: FileBudget = { timeouts: 0, retries: 0 };
    assert.equal(check(hard, '', next), 'exponential');
    assert.deepEqual(next, { timeouts: 0, retries: 1 });
  });
});
