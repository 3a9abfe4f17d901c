import { rule } from '../../src/scanner/rules/BWK-MAN-PUBLIC-ROUTE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\n';

testRule(rule, {
  valid: [
    { name: 'default auth (key or JWT)', code: `${head}triggers:\n  - http: { method: POST, path: / }\ninput: ./in.json\n` },
    { name: 'explicit api-key and jwt', code: `${head}triggers:\n  - http: { method: GET, path: /a, auth: api-key }\n  - http: { method: GET, path: /b, auth: jwt }\n` },
    { name: 'queue and schedule triggers have no auth key', code: `${head}triggers:\n  - queue: { subject: orders.created }\n  - schedule: { cron: "0 * * * *" }\n` },
    { name: 'the word public elsewhere', code: `${head}triggers:\n  - http: { method: GET, path: /public }\n# auth: public is not used here\n` },
  ],
  invalid: [
    { name: 'public route with an input schema is medium', code: `${head}triggers:\n  - http:\n      method: POST\n      path: /hook\n      auth: public\ninput: ./schemas/hook.json\n`, errors: [{ messageId: 'public', line: 9 }] },
    { name: 'public route without a schema is high', code: `${head}triggers:\n  - http: { method: POST, path: /signup, auth: public }\n`, errors: [{ messageId: 'publicNoSchema', line: 6 }] },
    { name: 'one of several routes public', code: `${head}triggers:\n  - http: { method: GET, path: /items, auth: jwt }\n  - http: { method: GET, path: /health, auth: public }\ninput: { query: ./q.json }\n`, errors: [{ messageId: 'public', line: 7 }] },
    { name: 'two public routes', code: `${head}triggers:\n  - http: { method: GET, path: /a, auth: public }\n  - http: { method: PUT, path: /b, auth: public }\n`, errors: [{ messageId: 'publicNoSchema', line: 6 }, { messageId: 'publicNoSchema', line: 7 }] },
  ],
});
