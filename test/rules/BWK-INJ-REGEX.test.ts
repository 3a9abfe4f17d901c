import { rule } from '../../src/scanner/rules/BWK-INJ-REGEX.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-REGEX', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "RegExp from a constant", code: "const re = new RegExp('^[a-z]+$');\nexports.handler = async (event) => re.test(event.body);\n" },
    { name: "escape-string-regexp", code: "import escapeStringRegexp from 'escape-string-regexp';\nexport const handler = async (event) => new RegExp(escapeStringRegexp(event.body)).source;\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "RegExp from a query with flags", code: "exports.handler = async (event) => {\n  const re = new RegExp(event.queryStringParameters.p, 'g');\n  return re.source;\n};\n", errors: [{ messageId: 'tainted', line: 2 }] },
    { name: "RegExp from a route param in fastify", code: "const app = require('fastify')();\napp.get('/m/:p', async (request, reply) => {\n  return reply.send(RegExp(request.params.p).test('abc'));\n});\nmodule.exports = app;\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
