import { rule } from '../../src/scanner/rules/BWK-INJ-TEMPLATE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-TEMPLATE', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "handlebars render with data", code: "const Handlebars = require('handlebars');\nconst tpl = Handlebars.compile('Hi {{name}}');\nexports.handler = async (event) => tpl({ name: event.body });\n" },
    { name: "template literal is not a template engine", code: "exports.handler = async (event) => `Hello ${event.queryStringParameters.name}`;\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "ejs.compile of a header", code: "const ejs = require('ejs');\nexports.handler = async (event) => {\n  return ejs.compile(event.headers['x-template'])({});\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
    { name: "nunjucks environment renderString", code: "const nunjucks = require('nunjucks');\nconst env = new nunjucks.Environment();\nexports.handler = async (event) => {\n  return env.renderString(JSON.parse(event.body).tpl, {});\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
  ],
});
