import { rule } from '../../src/scanner/rules/BWK-LOG-SENSITIVE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'headers through a pino logger that redacts authorization and cookies', code: "const pino = require('pino');\nconst logger = pino({ redact: { paths: ['headers.authorization', 'headers.cookie'], censor: '[redacted]' } });\napp.use((req, res, next) => {\n  logger.info({ url: req.url, headers: req.headers }, 'request');\n  next();\n});\n" },
    { name: 'selected fields of the event', code: "exports.handler = async (event, context) => {\n  console.log('request', { id: event.requestContext.requestId, path: event.rawPath, method: event.requestContext.http.method });\n  return { statusCode: 204 };\n};\n" },
    { name: 'presence and length of credentials, not their values', code: "app.post('/login', (req, res) => {\n  const { username, password } = req.body;\n  req.log.info({ username, hasAuth: !!req.headers.authorization, passwordLength: password.length }, 'login attempt');\n  res.sendStatus(202);\n});\n" },
    { name: 'a local variable named event that is not a parameter', code: "const event = { type: 'cache-warm', at: Date.now() };\nconsole.info('scheduled', event);\n" },
    { name: 'token-ish words in messages only', code: "export default {\n  async fetch(request) {\n    console.warn('token expired for route', new URL(request.url).pathname);\n    return new Response(null, { status: 401 });\n  },\n};\n" },
    { name: 'non-logging calls with the request', code: "exports.handler = async (event) => {\n  metrics.count('requests', 1);\n  await queue.send(JSON.stringify(event));\n  return { statusCode: 202 };\n};\n" },
  ],
  invalid: [
    { name: 'headers through a pino logger whose redaction misses cookies', code: "const pino = require('pino');\nconst logger = pino({ redact: ['req.headers.authorization'] });\napp.use((req, res, next) => {\n  logger.info({ headers: req.headers }, 'request');\n  next();\n});\n", errors: [{ messageId: 'sensitive', line: 4 }] },
    { name: 'whole Lambda event', code: "exports.handler = async (event, context) => {\n  console.log('incoming', JSON.stringify(event));\n  return { statusCode: 200 };\n};\n", errors: [{ messageId: 'sensitive', line: 2 }] },
    { name: 'express request and its headers', code: "app.use((req, res, next) => {\n  logger.debug(req);\n  logger.info(`headers: ${JSON.stringify(req.headers)}`);\n  next();\n});\n", errors: [{ messageId: 'sensitive', line: 2 }, { messageId: 'sensitive', line: 3 }] },
    { name: 'authorization header and cookies', code: "export default {\n  async fetch(request) {\n    console.log('auth', request.headers.get('authorization'));\n    console.log({ cookie: request.headers.get('Cookie') });\n    return new Response('ok');\n  },\n};\n", errors: [{ messageId: 'sensitive', line: 3 }, { messageId: 'sensitive', line: 4 }] },
    { name: 'password and token values', code: "async function login(username, password) {\n  const token = await issue(username);\n  console.debug('login ' + username + ' with ' + password);\n  this.logger.info({ user: username, token });\n  return token;\n}\nmodule.exports = login;\n", errors: [{ messageId: 'sensitive', line: 3 }, { messageId: 'sensitive', line: 4 }] },
    { name: 'spread of the request into a pino call', code: "fastify.post('/hook', async (request, reply) => {\n  request.log.warn({ ...request.headers, route: 'hook' }, 'hook received');\n  return { ok: true };\n});\n", errors: [{ messageId: 'sensitive', line: 2 }] },
  ],
});
