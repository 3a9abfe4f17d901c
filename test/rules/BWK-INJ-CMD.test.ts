import { rule } from '../../src/scanner/rules/BWK-INJ-CMD.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-CMD', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "execFile with arguments from the body", code: "const { execFile } = require('child_process');\nexports.handler = async (event) => {\n  execFile('convert', [JSON.parse(event.body).file, 'out.png'], () => {});\n};\n" },
    { name: "exec of a constant in a handler", code: "import { execSync } from 'node:child_process';\nexport const handler = async () => ({ statusCode: 200, body: execSync('uname -a').toString() });\n" },
    { name: "exec in a library file no handler imports", code: "const cp = require('child_process');\nmodule.exports = function run(cmd) { return cp.execSync(cmd); };\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "exec with destructured event field", code: "const cp = require('child_process');\nexports.handler = async ({ queryStringParameters }) => {\n  const dir = queryStringParameters.dir;\n  cp.exec('ls -la ' + dir);\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
    { name: "execSync through a local helper", code: "const { execSync } = require('node:child_process');\nfunction run(name) {\n  return execSync(`whois ${name}`);\n}\nexports.handler = async (event) => ({ body: run(event.pathParameters.domain).toString() });\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
