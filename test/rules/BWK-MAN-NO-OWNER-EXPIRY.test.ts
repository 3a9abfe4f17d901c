import { rule } from '../../src/scanner/rules/BWK-MAN-NO-OWNER-EXPIRY.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const tail = 'triggers:\n  - http: { method: GET, path: / }\n';

testRule(rule, {
  valid: [
    { name: 'owner and date', code: `name: a\nhandler: src/index.ts\nowner: team@example.com\nexpires: 2027-06-30\n${tail}` },
    { name: 'quoted date and other order', code: `expires: "2027-01-01"\nowner: payments@example.com\nname: b\nhandler: src/index.ts\n${tail}` },
    { name: 'never only as a word in a comment', code: `name: c\nhandler: src/index.ts\nowner: ops@example.com   # never unowned\nexpires: 2026-12-31\n${tail}` },
    { name: 'flow mapping', code: `{ name: d, handler: src/index.ts, owner: x@example.com, expires: 2027-02-02, triggers: [{ queue: { subject: a.b } }] }\n` },
  ],
  invalid: [
    { name: 'no owner', code: `name: a\nhandler: src/index.ts\nexpires: 2027-06-30\n${tail}`, errors: [{ messageId: 'missingOwner', line: 1 }] },
    { name: 'no expiry', code: `name: a\nhandler: src/index.ts\nowner: team@example.com\n${tail}`, errors: [{ messageId: 'missingExpiry', line: 1 }] },
    { name: 'never expires, with its reason', code: `name: a\nhandler: src/index.ts\nowner: team@example.com\nexpires: never\nexpiresReason: the payments webhook must always answer\n${tail}`, errors: [{ messageId: 'neverExpires', line: 4 }] },
    { name: 'empty owner and no expiry', code: `name: a\nhandler: src/index.ts\nowner: ""\n${tail}`, errors: [{ messageId: 'missingExpiry', line: 1 }, { messageId: 'missingOwner', line: 3 }] },
  ],
});
