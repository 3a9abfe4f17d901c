import { rule } from '../../src/scanner/rules/BWK-MAN-WILDCARD-GRANT.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\ntriggers:\n  - http: { method: GET, path: / }\n';

testRule(rule, {
  valid: [
    { name: 'exact egress, secrets and kv', code: `${head}permissions:\n  egress: [api.stripe.com:443, hooks.slack.com:443]\n  secrets: [STRIPE_KEY]\n  kv: { orders: read-write }\n` },
    { name: 'no permissions at all', code: head },
    { name: 'empty lists', code: `${head}permissions:\n  egress: []\n  secrets: []\n` },
    { name: 'asterisk only in a comment and cron', code: `${head}  - schedule: { cron: "*/5 * * * *" }\npermissions:\n  egress: [api.example.com:443]   # not *.example.com\n` },
  ],
  invalid: [
    { name: 'wildcard subdomain egress', code: `${head}permissions:\n  egress:\n    - "*.amazonaws.com:443"\n`, errors: [{ messageId: 'wildcard', line: 9 }] },
    { name: 'any port', code: `${head}permissions:\n  egress: [api.example.com:*]\n`, errors: [{ messageId: 'wildcard', line: 8 }] },
    { name: 'secret prefix wildcard and kv wildcard', code: `${head}permissions:\n  secrets: [DB_PASSWORD, "STRIPE_*"]\n  kv:\n    "*": read-write\n`, errors: [{ messageId: 'wildcard', line: 8 }, { messageId: 'wildcard', line: 10 }] },
    { name: 'egress as a bare star and invoke star', code: `${head}permissions:\n  egress: "*"\n  invoke: ["*"]\n`, errors: [{ messageId: 'wildcard', line: 8 }, { messageId: 'wildcard', line: 9 }] },
  ],
});
