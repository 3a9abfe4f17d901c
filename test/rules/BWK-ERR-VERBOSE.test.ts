import { rule } from '../../src/scanner/rules/BWK-ERR-VERBOSE.ts';
import { testRule } from '../../src/scanner/rule-tester.ts';

testRule(rule, {
  valid: [
    { name: 'logged with a request id, fixed message returned', code: "exports.handler = async (event, context) => {\n  try {\n    return { statusCode: 200, body: JSON.stringify(await work(event)) };\n  } catch (err) {\n    console.error(context.awsRequestId, err.stack);\n    return { statusCode: 500, body: JSON.stringify({ error: 'Internal error', requestId: context.awsRequestId }) };\n  }\n};\n" },
    { name: 'recognised validation error message', code: "class ValidationError extends Error {}\napp.post('/items', async (req, res) => {\n  try {\n    res.json(await save(req.body));\n  } catch (e) {\n    if (e instanceof ValidationError) return res.status(400).json({ error: e.message });\n    req.log.error(e);\n    res.status(500).json({ error: 'internal' });\n  }\n});\n" },
    { name: 'error forwarded to an error tracker, not the caller', code: "export default {\n  async fetch(request) {\n    try {\n      return await route(request);\n    } catch (err) {\n      await fetch('https://errors.example.com/ingest', { method: 'POST', body: JSON.stringify({ stack: err.stack }) });\n      return new Response('Something went wrong', { status: 500 });\n    }\n  },\n};\n" },
    { name: 'message of a value that is not a caught error', code: "app.get('/status', (req, res) => {\n  const status = { message: 'ok', stack: 'node' };\n  res.json({ message: status.message, stack: status.stack });\n});\n" },
    { name: 'express error middleware with a generic answer', code: "app.use((err, req, res, next) => {\n  req.log.error({ err }, 'unhandled');\n  res.status(err.statusCode || 500).json({ error: 'Request failed' });\n});\n" },
  ],
  invalid: [
    { name: 'promise .catch callback answering with err.toString()', code: "app.get('/users/:id', (req, res) => {\n  getUser(req.params.id)\n    .then((u) => res.json(u))\n    .catch((error) => res.status(500).send(error.toString()));\n});\n", errors: [{ messageId: 'verbose', line: 4 }] },
    { name: 'Lambda result body carries the stack', code: "exports.handler = async (event) => {\n  try {\n    return { statusCode: 200, body: await load(event.pathParameters.id) };\n  } catch (err) {\n    return { statusCode: 500, body: err.stack };\n  }\n};\n", errors: [{ messageId: 'verbose', line: 5 }] },
    { name: 'express res.send of the message', code: "app.get('/users/:id', async (req, res) => {\n  try {\n    res.json(await db.users.find(req.params.id));\n  } catch (error) {\n    res.status(500).send(error.message);\n  }\n});\n", errors: [{ messageId: 'verbose', line: 5 }] },
    { name: 'JSON.stringify of the whole error in the body', code: "exports.handler = async (event) => {\n  try {\n    return await handle(event);\n  } catch (e) {\n    return { statusCode: 502, headers: { 'content-type': 'application/json' }, body: JSON.stringify(e) };\n  }\n};\n", errors: [{ messageId: 'verbose', line: 5 }] },
    { name: 'Web Response with the stack in a template', code: "export default {\n  async fetch(request) {\n    try {\n      return await route(request);\n    } catch (e) {\n      return new Response(`failed: ${e.stack}`, { status: 500 });\n    }\n  },\n};\n", errors: [{ messageId: 'verbose', line: 6 }] },
    { name: 'promise .catch callback answering with the message', code: "app.get('/report', (req, res) => {\n  build(req.query).then((r) => res.json(r)).catch((err) => res.status(500).json({ error: err.message, stack: err.stack }));\n});\n", errors: [{ messageId: 'verbose', line: 2 }, { messageId: 'verbose', line: 2 }] },
    { name: 'koa ctx.body and error middleware', code: "app.use(async (ctx, next) => {\n  try {\n    await next();\n  } catch (err) {\n    ctx.status = 500;\n    ctx.body = { error: String(err) };\n  }\n});\napp.use((err, req, res, next) => res.status(500).json({ error: err.message }));\n", errors: [{ messageId: 'verbose', line: 6 }, { messageId: 'verbose', line: 9 }] },
  ],
});
