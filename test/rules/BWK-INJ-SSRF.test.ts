import { rule } from '../../src/scanner/rules/BWK-INJ-SSRF.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';
import { corpusCases } from './support/corpus.ts';

const corpus = corpusCases('BWK-INJ-SSRF', { messageId: 'tainted' });

testRule(rule, {
  valid: [
    ...corpus.valid,
    { name: "fetch of a fixed endpoint with a body", code: "export const handler = async (event) => fetch('https://hooks.example.com/notify', { method: 'POST', body: event.body });\n" },
    { name: "allowlisted origin", code: "const ALLOWED = ['https://a.example.com', 'https://b.example.com'];\nexport const handler = async (event) => {\n  const target = event.queryStringParameters.target;\n  if (!ALLOWED.includes(target)) return { statusCode: 400 };\n  return fetch(target);\n};\n" },
  ],
  invalid: [
    ...corpus.invalid,
    { name: "axios config object with a url from the body", code: "const axios = require('axios');\nexports.handler = async (event) => {\n  const { url } = JSON.parse(event.body);\n  return axios({ method: 'get', url });\n};\n", errors: [{ messageId: 'tainted', line: 4 }] },
    { name: "http.get with a string from a header", code: "const http = require('node:http');\nexports.handler = (event) => {\n  http.get('http://' + event.headers.host + '/internal', () => {});\n};\n", errors: [{ messageId: 'tainted', line: 3 }] },
  ],
});
