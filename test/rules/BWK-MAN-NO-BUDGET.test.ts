import { rule } from '../../src/scanner/rules/BWK-MAN-NO-BUDGET.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\ntriggers:\n  - http: { method: GET, path: / }\n';

testRule(rule, {
  valid: [
    { name: 'flow budget', code: `${head}budget: { limit: 5.00, period: month }\n` },
    { name: 'block budget with perCaller', code: `${head}budget:\n  limit: 20\n  period: day\n  perCaller: 1\n` },
    { name: 'budget first', code: `budget: { limit: 1, period: 1h }\n${head}` },
    { name: 'budget with throttle settings', code: `${head}limits: { timeout: 3s }\nbudget: { limit: 100, period: month, throttleAt: 80%, reserve: 40% }\n` },
  ],
  invalid: [
    { name: 'no budget', code: head, errors: [{ messageId: 'noBudget', line: 1 }] },
    { name: 'limits but no budget', code: `${head}limits: { concurrency: 50 }\n`, errors: [{ messageId: 'noBudget', line: 1 }] },
    { name: 'budget only in a comment', code: `# budget: { limit: 5, period: month }\n${head}`, errors: [{ messageId: 'noBudget', line: 2 }] },
    { name: 'budget nested in the wrong place', code: `${head}limits:\n  budget: 5\n`, errors: [{ messageId: 'noBudget', line: 1 }] },
  ],
});
