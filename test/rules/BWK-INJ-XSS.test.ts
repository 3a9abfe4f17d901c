import { rule } from '../../src/scanner/rules/BWK-INJ-XSS.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-XSS', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "html with a constant body", code: "exports.handler = async (event) => ({ statusCode: 200, headers: { 'content-type': 'text/html' }, body: '<h1>Hello</h1>', id: event.id });\n" },
    { name: "escapeHtml helper by name", code: "const { escapeHtml } = require('./util');\nexports.handler = async (event) => ({ headers: { 'Content-Type': 'text/html' }, body: '<p>' + escapeHtml(event.body) + '</p>' });\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "res.setHeader html then end", code: "const http = require('http');\nhttp.createServer((req, res) => {\n  res.setHeader('Content-Type', 'text/html');\n  res.end('<p>' + req.url + '</p>');\n}).listen(8080);\n", errors: [{ messageId: 'tainted', line: 4 }] },
    { name: "Response with Headers object", code: "export default {\n  async fetch(request) {\n    const name = new URL(request.url).searchParams.get('name');\n    return new Response(`<b>${name}</b>`, { headers: new Headers({ 'Content-Type': 'text/html' }) });\n  },\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
  ],
});
