import { rule } from '../../src/scanner/rules/BWK-CRYPTO-WEAK.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'Math.random for jitter, sampling and shuffling', code: "const delay = (attempt) => Math.min(30000, 2 ** attempt * 100) + Math.random() * 250;\nconst idx = Math.floor(Math.random() * items.length);\nconst sampled = Math.random() < 0.01;\nmodule.exports = { delay, idx, sampled };\n" },
    { name: 'secure randomness for tokens', code: "import { randomBytes, randomUUID } from 'node:crypto';\nexport const sessionToken = () => randomBytes(32).toString('base64url');\nexport const requestId = randomUUID();\n" },
    { name: 'MD5 for an ETag and SHA-1 for a cache key', code: "const crypto = require('crypto');\nexports.etag = (body) => crypto.createHash('md5').update(body).digest('hex');\nconst cacheKey = crypto.createHash('sha1').update(JSON.stringify(params)).digest('hex');\nexports.cacheKey = cacheKey;\n" },
    { name: 'SHA-256 digest of a token and scrypt for passwords', code: "import { createHash, scryptSync, randomBytes } from 'crypto';\nexport const tokenDigest = (token) => createHash('sha256').update(token).digest('hex');\nexport const hashPassword = (password) => { const salt = randomBytes(16); return [salt, scryptSync(password, salt, 64)]; };\n" },
    { name: 'AES-256-GCM with a random IV', code: "const { createCipheriv, randomBytes } = require('node:crypto');\nconst ALG = 'aes-256-gcm';\nmodule.exports.seal = (key, data) => { const iv = randomBytes(12); const c = createCipheriv(ALG, key, iv); return Buffer.concat([iv, c.update(data), c.final(), c.getAuthTag()]); };\n" },
  ],
  invalid: [
    { name: 'Math.random tokens and ids', code: "function generateResetToken() {\n  return Math.random().toString(36).slice(2);\n}\nconst sessionId = Math.floor(Math.random() * 1e9).toString(16);\nmodule.exports = { generateResetToken, sessionId };\n", errors: [{ messageId: 'mathRandom', line: 2 }, { messageId: 'mathRandom', line: 4 }] },
    { name: 'Math.random OTP in an object', code: "exports.handler = async (event) => {\n  const challenge = { user: event.user, verificationCode: String(Math.floor(100000 + Math.random() * 900000)) };\n  return challenge;\n};\n", errors: [{ messageId: 'mathRandom', line: 2 }] },
    { name: 'MD5 password hash and sha1 package on a token', code: "import crypto from 'node:crypto';\nimport sha1 from 'sha1';\nexport const hashPassword = (password) => crypto.createHash('md5').update(password).digest('hex');\nexport const apiKeyDigest = sha1(apiKey);\n", errors: [{ messageId: 'weakHash', line: 3 }, { messageId: 'weakHash', line: 4 }] },
    { name: 'deprecated createCipher', code: "const crypto = require('crypto');\nmodule.exports.encrypt = (text, pass) => {\n  const cipher = crypto.createCipher('aes-256-cbc', pass);\n  return cipher.update(text, 'utf8', 'hex') + cipher.final('hex');\n};\n", errors: [{ messageId: 'deprecatedCipher', line: 3 }] },
    { name: 'ECB mode, DES and RC4', code: "import { createCipheriv, createDecipheriv } from 'crypto';\nexport const a = (k, d) => createCipheriv('aes-128-ecb', k, null).update(d);\nexport const b = (k, iv, d) => createCipheriv('des-cbc', k, iv).update(d);\nexport const c = (k, d) => createDecipheriv('rc4', k, '').update(d);\n", errors: [{ messageId: 'weakCipher', line: 2 }, { messageId: 'weakCipher', line: 3 }, { messageId: 'weakCipher', line: 4 }] },
  ],
});
