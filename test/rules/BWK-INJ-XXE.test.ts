import { rule } from '../../src/scanner/rules/BWK-INJ-XXE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-XXE', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "noent on a file the function ships", code: "const libxmljs = require('libxmljs');\nconst fs = require('fs');\nexports.handler = async () => libxmljs.parseXml(fs.readFileSync(__dirname + '/schema.xml', 'utf8'), { noent: true }).toString();\n" },
    { name: "libxmljs with nonet only", code: "const libxmljs = require('libxmljs2');\nexports.handler = async (event) => libxmljs.parseXml(event.body, { nonet: true }).toString();\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "noent on the request body", code: "const libxmljs = require('libxmljs2');\nexports.handler = async (event) => {\n  return libxmljs.parseXmlString(event.body, { noent: true }).toString();\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
    { name: "dtdvalid on an express body", code: "const app = require('express')();\nconst { parseXml } = require('libxmljs');\napp.post('/x', (req, res) => {\n  res.json(parseXml(req.body, { dtdvalid: true }).root().name());\n});\nmodule.exports = app;\n", errors: [{ messageId: 'tainted', line: 4 }] },
  ],
});
