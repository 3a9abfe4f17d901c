import { rule } from '../../src/scanner/rules/BWK-DOS-REDOS.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-DOS-REDOS', { messageId: 'vulnerable' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "regex-looking text in a comment and a string", code: "// matches /(a+)+$/ in the old version\nconst doc = 'use /(x+)+y/ carefully';\nmodule.exports = doc;\n" },
    { name: "division is not a regex", code: "const a = 4, b = 2, c = 1;\nmodule.exports = (a / (b + c) * 2) / 3 + a * b;\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "exponential literal", code: "module.exports = (s) => /^(\\d+)+$/.test(s);\n", errors: [{ messageId: 'vulnerable', line: 1 }] },
    { name: "polynomial literal in a replace", code: "module.exports = (s) => s.replace(/\\s+$|^\\s*x\\s*=\\s*$/g, '');\n", errors: [{ messageId: 'vulnerable', line: 1 }] },
  ],
});
