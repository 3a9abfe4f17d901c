import { rule } from '../../src/scanner/rules/BWK-INJ-NOSQL.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-NOSQL', { messageId: 'tainted', overrides: { 'where-clause-string': [{ messageId: 'where' }], 'heldout-58-where-string': [{ messageId: 'where' }] } });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "filter built from a number", code: "exports.handler = async (event) => {\n  const page = Number(event.queryStringParameters.page);\n  return globalThis.db.collection('posts').find({ page }).toArray();\n};\n" },
    { name: "constant filter", code: "exports.handler = async () => globalThis.db.collection('jobs').deleteMany({ done: true });\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "findOne with a body field", code: "const router = require('express').Router();\nrouter.post('/login', async (req, res) => {\n  const user = await req.app.locals.users.findOne({ email: req.body.email, password: req.body.password });\n  res.json({ ok: !!user });\n});\nmodule.exports = router;\n", errors: [{ messageId: 'tainted', line: 3 }] },
    { name: "aggregate with a $match from the query", code: "exports.handler = async (event) => {\n  const pipeline = [{ $match: event.queryStringParameters }, { $limit: 10 }];\n  return globalThis.db.collection('orders').aggregate([{ $match: event.multiValueQueryStringParameters }]).toArray();\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
