import { rule } from '../../src/scanner/rules/BWK-INJ-PATH.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-PATH', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "readFile of a constant path", code: "const fs = require('fs');\nexports.handler = async (event) => ({ body: fs.readFileSync('/var/task/index.html', 'utf8'), id: event.id });\n" },
    { name: "basename before join", code: "import { readFile } from 'node:fs/promises';\nimport path from 'node:path';\nexport const handler = async (event) => readFile(path.join('/data', path.basename(event.pathParameters.file)));\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "fs.promises.readdir with a query folder", code: "const fs = require('fs');\nexports.handler = async (event) => {\n  const entries = await fs.promises.readdir('/srv/' + event.queryStringParameters.folder);\n  return { body: entries.join(',') };\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
    { name: "res.download with a route param", code: "const app = require('express')();\napp.get('/files/:name', (req, res) => {\n  res.download('/srv/files/' + req.params.name);\n});\nmodule.exports = app;\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
