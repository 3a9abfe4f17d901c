import { rule } from '../../src/scanner/rules/BWK-MAN-LONG-TIMEOUT.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\ntriggers:\n  - http: { method: GET, path: / }\n';

testRule(rule, {
  valid: [
    { name: 'default timeout', code: head },
    { name: 'exactly the threshold', code: `${head}limits: { timeout: 30s }\n` },
    { name: 'milliseconds under', code: `${head}limits:\n  timeout: 2500ms\n` },
    { name: 'raised threshold option', code: `${head}limits: { timeout: 2m }\n`, options: { ruleOptions: { 'BWK-MAN-LONG-TIMEOUT': { maxTimeout: '5m' } } } },
  ],
  invalid: [
    { name: 'minutes', code: `${head}limits:\n  memory: 256MB\n  timeout: 5m\n`, errors: [{ messageId: 'longTimeout', line: 9 }] },
    { name: 'seconds just over', code: `${head}limits: { timeout: 31s }\n`, errors: [{ messageId: 'longTimeout', line: 7 }] },
    { name: 'maximum allowed', code: `${head}limits: { timeout: 900s, concurrency: 2 }\n`, errors: [{ messageId: 'longTimeout', line: 7 }] },
    { name: 'lowered threshold option', code: `${head}limits: { timeout: 10s }\n`, options: { ruleOptions: { 'BWK-MAN-LONG-TIMEOUT': { maxTimeout: '5s' } } }, errors: [{ messageId: 'longTimeout', line: 7 }] },
  ],
});
