import { rule } from '../../src/scanner/rules/BWK-INJ-CODE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-CODE', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "setInterval with a function", code: "exports.handler = async (event) => {\n  const id = setInterval(() => console.log(event.id), 1000);\n  clearInterval(id);\n};\n" },
    { name: "eval of a constant", code: "exports.handler = async (event) => ({ body: String(eval('1 + 1') + Number(event.n)) });\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "eval of a header", code: "exports.handler = async (event) => {\n  return eval(event.headers['x-expr']);\n};\n", errors: [{ messageId: 'tainted', line: 2 }] },
    { name: "vm.runInContext with a web body", code: "import vm from 'node:vm';\nexport default {\n  async fetch(request) {\n    const code = await request.text();\n    return new Response(String(vm.runInContext(code, vm.createContext({}))));\n  },\n};\n", errors: [{ messageId: 'tainted', line: 5 }] },
  ],
});
