import { rule } from '../../src/scanner/rules/BWK-INJ-PROTO.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-PROTO', { messageId: 'merge', overrides: { 'express-nested-querystring-write': [{ messageId: 'keyed' }], 'nested-keyed-write': [{ messageId: 'keyed' }], 'recursive-merge-helper': [{ messageId: 'keyed' }, { messageId: 'keyed' }], 'heldout-65-handwritten-deep-merge': [{ messageId: 'keyed' }, { messageId: 'keyed' }], 'heldout-66-nested-keyed-write': [{ messageId: 'keyed' }] } });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "merge into a null-prototype object from a constant", code: "const _ = require('lodash');\nexports.handler = async (event) => _.merge(Object.create(null), { a: 1 }, { b: Number(event.b) });\n" },
    { name: "single-level keyed write", code: "exports.handler = async (event) => {\n  const counts = {};\n  counts[event.queryStringParameters.key] = 1;\n  return counts;\n};\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "jquery-style deep extend", code: "const $ = require('jquery');\nexports.handler = async (event) => {\n  return $.extend(true, {}, JSON.parse(event.body));\n};\n", errors: [{ messageId: 'merge', line: 3 }] },
    { name: "zipObjectDeep with body paths", code: "import _ from 'lodash';\nexport const handler = async (event) => {\n  const { paths, values } = JSON.parse(event.body);\n  return _.zipObjectDeep(paths, values);\n};\n", errors: [{ messageId: 'merge', line: 4 }] },
  ],
});
