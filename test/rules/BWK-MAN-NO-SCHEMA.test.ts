import { rule } from '../../src/scanner/rules/BWK-MAN-NO-SCHEMA.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

const head = 'name: orders\nhandler: src/index.ts#handler\nowner: team@example.com\nexpires: 2027-06-30\n';

testRule(rule, {
  valid: [
    { name: 'body schema by path', code: `${head}triggers:\n  - http: { method: POST, path: / }\ninput: ./schemas/input.json\n` },
    { name: 'mapping with body for a queue', code: `${head}triggers:\n  - queue: { subject: images.uploaded }\ninput:\n  body: ./schemas/image.json\n` },
    { name: 'GET with only a query schema', code: `${head}triggers:\n  - http: { method: GET, path: /search }\ninput: { query: ./schemas/q.json }\n` },
    { name: 'schedule only: no caller input', code: `${head}triggers:\n  - schedule: { cron: "*/5 * * * *" }\n` },
  ],
  invalid: [
    { name: 'http trigger without input', code: `${head}triggers:\n  - http: { method: POST, path: / }\n`, errors: [{ messageId: 'noSchema', line: 6 }] },
    { name: 'queue trigger without input', code: `${head}triggers:\n  - schedule: { cron: "@daily" }\n  - queue: { subject: orders.created }\n`, errors: [{ messageId: 'noSchema', line: 7 }] },
    { name: 'POST with only a query schema', code: `${head}triggers:\n  - http: { method: PATCH, path: "/items/{id}" }\ninput:\n  params: ./schemas/params.json\n`, errors: [{ messageId: 'noBodySchema', line: 6 }] },
    { name: 'block-style triggers, GET and ANY', code: `${head}triggers:\n  - http:\n      method: GET\n      path: /a\n  - http:\n      method: ANY\n      path: /b\n`, errors: [{ messageId: 'noSchema', line: 6 }, { messageId: 'noSchema', line: 9 }] },
  ],
});
