import { rule } from '../../src/scanner/rules/BWK-INJ-DESER.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-DESER', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "js-yaml load with the safe default", code: "import yaml from 'js-yaml';\nexport const handler = async (event) => yaml.load(event.body);\n" },
    { name: "JSON.parse of the body", code: "exports.handler = async (event) => JSON.parse(event.body);\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "node-serialize import destructured", code: "import { unserialize } from 'node-serialize';\nexport const handler = async (event) => {\n  return unserialize(event.body);\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
    { name: "v8.deserialize of a base64 body", code: "const v8 = require('node:v8');\nexports.handler = async (event) => {\n  const obj = v8.deserialize(Buffer.from(event.body, 'base64'));\n  return obj;\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
