import { rule } from '../../src/scanner/rules/BWK-SEC-HARDCODED.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

// Format-valid but fake values, split so that the test source itself holds no contiguous token.
const awsId = 'AKIA' + 'IOSFODNN7EXAMPLE';
const ghToken = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
const pemHeader = '-----BEGIN ' + 'RSA PRIVATE KEY-----';
const bwkKey = 'bwk_' + 'Qz8mN2pL5vXa_' + 'kT3rY7wB1cD9fG4hJ6sA0eU8iO2nM5qP7tR1vW3xZ9y';
const jwtLike = 'eyJhbGciOiJIUzI1NiJ9' + '.eyJzdWIiOiJ0ZXN0LXVzZXIifQ' + '.c2lnbmF0dXJlLWZvci10ZXN0aW5nLW9ubHk';

testRule(rule, {
  valid: [
    { name: 'local development connection string without a secret-looking password', code: "const pg = require('pg');\nmodule.exports = new pg.Pool({ connectionString: process.env.DATABASE_URL || 'postgres://app:app@localhost:5432/app' });\n" },
    { name: 'secret read from the vault and the environment', code: "export const handler = async (event, context) => {\n  const apiKey = await context.secrets.get('STRIPE_API_KEY');\n  const token = process.env.GITHUB_TOKEN;\n  return { statusCode: 200, body: String(!!apiKey && !!token) };\n};\n" },
    { name: 'placeholders and names of secrets', code: "const config = {\n  password: 'changeme',\n  apiKey: 'your-api-key-here',\n  clientSecret: '<client secret>',\n  token: 'API_TOKEN',\n  secret: '${SECRET}',\n};\nmodule.exports = config;\n" },
    { name: 'credential-looking words that are not values', code: "const tokenUrl = 'https://auth.example.com/oauth/token';\nconst passwordPattern = '^(?=.*[A-Z])(?=.*[0-9]).{12,}$';\nconst secretName = 'prod/db/password';\nconst message = { token: 'Invalid or expired token' };\nmodule.exports = { tokenUrl, passwordPattern, secretName, message };\n" },
    { name: 'high-entropy values under harmless names', code: "const etag = 'W/9f86d081884c7d659a2feaa0c55ad015';\nconst requestId = 'c0a8012e-7f3b-4d2a-9c1e-2b5f8a6d4e31';\nmodule.exports = { etag, requestId };\n" },
    { name: 'a JWT in a test file is test data', filename: 'test/auth.test.js', code: `const fixture = '${jwtLike}';\nmodule.exports = fixture;\n` },
    { name: 'redacted AWS key in documentation', code: "// e.g. AKIAXXXXXXXXXXXXXXXX\nconst sample = 'AKIAXXXXXXXXXXXXXXXX';\nmodule.exports = sample;\n" },
  ],
  invalid: [
    { name: 'password inside a MongoDB connection string', code: "const mongoose = require('mongoose');\nmodule.exports = () => mongoose.connect('mongodb+srv://reporting:Qm4vT8zK2xLp9RbW@cluster0.abcde.mongodb.net/app');\n", errors: [{ messageId: 'knownFormat', line: 2 }] },
    { name: 'AWS access key id', code: `const client = new S3Client({ credentials: { accessKeyId: '${awsId}', secretAccessKey: process.env.AWS_SECRET } });\nmodule.exports = client;\n`, errors: [{ messageId: 'knownFormat', line: 1 }] },
    { name: 'private key PEM block in a template literal', code: `const key = \`${pemHeader}\nMIIEpAIBAAKCAQEA7fakefakefake\n-----END RSA PRIVATE KEY-----\`;\nmodule.exports = key;\n`, errors: [{ messageId: 'knownFormat', line: 1 }] },
    { name: 'GitHub token in a header', code: `export default { async fetch() { return fetch('https://api.github.com/user', { headers: { authorization: 'token ${ghToken}' } }); } };\n`, errors: [{ messageId: 'knownFormat' }] },
    { name: 'Bulwark API key', code: `export const invoke = (body) => fetch('https://gw.internal/fn/billing', { method: 'POST', headers: { 'x-api-key': '${bwkKey}' }, body });\n`, errors: [{ messageId: 'knownFormat', line: 1 }] },
    { name: 'JWT literal', code: `const serviceToken = '${jwtLike}';\nmodule.exports = serviceToken;\n`, errors: [{ messageId: 'knownFormat' }] },
    { name: 'passwords and keys by name', code: "const dbPassword = 'Tr0ub4dor&3x';\nconst settings = { client_secret: 'q8Fz2LmN4pR7tV1wX9yB3cD6' };\nexports.settings = { dbPassword, settings };\n", errors: [{ messageId: 'named', line: 1 }, { messageId: 'named', line: 2 }] },
    { name: 'hard-coded comparison and env fallback', code: "const API_KEY = process.env.API_KEY || 'k3y-9f8e7d6c5b4a';\nexports.handler = async (event) => {\n  if (event.headers['x-admin-password'] === 'S3cure!Admin2024') return { statusCode: 200 };\n  return { statusCode: 403, body: API_KEY.length };\n};\n", errors: [{ messageId: 'named', line: 1 }, { messageId: 'named', line: 3 }] },
    { name: 'literal JWT signing secret and HMAC key', code: "import jwt from 'jsonwebtoken';\nimport { createHmac } from 'node:crypto';\nexport const issue = (sub) => jwt.sign({ sub }, 'secret', { expiresIn: '1h' });\nexport const mac = (body) => createHmac('sha256', 'webhook-signing-key').update(body).digest('hex');\n", errors: [{ messageId: 'signingKey', line: 3 }, { messageId: 'signingKey', line: 4 }] },
  ],
});
