import { rule } from '../../src/scanner/rules/BWK-AUTH-JWT-NOVERIFY.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'jwt.verify with an algorithm list', code: "const jwt = require('jsonwebtoken');\nexports.handler = async (event) => {\n  const claims = jwt.verify(event.headers.authorization.slice(7), process.env.PUBLIC_KEY, { algorithms: ['RS256'] });\n  return { statusCode: claims.admin ? 200 : 403 };\n};\n" },
    { name: 'decode to pick the key, then verify in the same function', code: "import jwt from 'jsonwebtoken';\nexport async function authenticate(token, jwks) {\n  const { header } = jwt.decode(token, { complete: true });\n  const key = await jwks.getSigningKey(header.kid);\n  return jwt.verify(token, key.getPublicKey(), { algorithms: ['RS256'] });\n}\n" },
    { name: 'jose jwtVerify', code: "import { jwtVerify, createRemoteJWKSet } from 'jose';\nconst jwks = createRemoteJWKSet(new URL('https://id.example.com/.well-known/jwks.json'));\nexport default {\n  async fetch(request) {\n    const { payload } = await jwtVerify(request.headers.get('authorization').slice(7), jwks, { issuer: 'https://id.example.com' });\n    return Response.json({ sub: payload.sub });\n  },\n};\n" },
    { name: 'a decode function of another library', code: "import { decode } from 'html-entities';\nexport const clean = (s) => decode(s);\nconst parts = 'a.b.c'.split('.');\nexport const second = parts[1];\n" },
    { name: 'verify with expiry checked and explicit algorithms in a const', code: "const jwt = require('jsonwebtoken');\nconst options = { algorithms: ['HS256'], ignoreExpiration: false, maxAge: '15m' };\nmodule.exports = (token, secret) => jwt.verify(token, secret, options);\n" },
  ],
  invalid: [
    { name: 'payload taken by array destructuring and atob', code: "export function claimsOf(token) {\n  const [, payload] = token.split('.');\n  return JSON.parse(atob(payload.replace(/-/g, '+')));\n}\n", errors: [{ messageId: 'decodeOnly', line: 3 }] },
    { name: 'jwt.decode drives an authorisation decision', code: "const jwt = require('jsonwebtoken');\nexports.handler = async (event) => {\n  const claims = jwt.decode(event.headers.authorization.replace('Bearer ', ''));\n  if (claims.role !== 'admin') return { statusCode: 403 };\n  return { statusCode: 200, body: 'welcome' };\n};\n", errors: [{ messageId: 'decodeOnly', line: 3 }] },
    { name: 'jose decodeJwt, verify only in another function', code: "import { decodeJwt, jwtVerify } from 'jose';\nexport async function strict(token, key) { return jwtVerify(token, key); }\nexport function userOf(request) {\n  const payload = decodeJwt(request.headers.get('authorization').slice(7));\n  return payload.sub;\n}\n", errors: [{ messageId: 'decodeOnly', line: 4 }] },
    { name: 'hand-written base64 decode of the payload', code: "export default {\n  async fetch(request) {\n    const token = request.headers.get('authorization').split(' ')[1];\n    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());\n    return claims.scope.includes('write') ? new Response('ok') : new Response('no', { status: 403 });\n  },\n};\n", errors: [{ messageId: 'decodeOnly', line: 4 }] },
    { name: "verify allowing 'none'", code: "import jwt from 'jsonwebtoken';\nexport const check = (token, secret) => jwt.verify(token, secret, { algorithms: ['HS256', 'none'] });\n", errors: [{ messageId: 'noneAlgorithm', line: 2 }] },
    { name: 'verify ignoring expiry, options in a const', code: "const { verify } = require('jsonwebtoken');\nconst opts = { ignoreExpiration: true, algorithms: ['RS256'] };\nmodule.exports = (t, k) => verify(t, k, opts);\n", errors: [{ messageId: 'ignoreExpiration', line: 3 }] },
  ],
});
