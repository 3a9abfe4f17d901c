import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import type { GuardRequest } from '../types.ts';
import { manifestYaml, queueRequest, request, scheduleRequest, target } from '../testing.ts';

const inputSchema = JSON.stringify({
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: { name: { type: 'string', maxLength: 20 }, count: { type: 'integer' } },
});
const fn = target(manifestYaml({ input: './schema.json' }), { 'schema.json': inputSchema });
const json = (v: unknown) => Buffer.from(JSON.stringify(v));

function code(v: Awaited<ReturnType<ReturnType<typeof create>>>): string {
  return v.pass ? 'pass' : v.error.code;
}

test('a matching body passes; a function without an input schema is not checked', async () => {
  const schema = create();
  assert.equal(code(await schema(request(fn, { body: json({ name: 'Ada', count: 2 }) }))), 'pass');
  const free = target(manifestYaml());
  assert.equal(code(await schema(request(free, { body: Buffer.from('not json') }))), 'pass');
});

test('schema violations are BWK_E_GUARD_INPUT_INVALID with a short reason that does not echo the value', async () => {
  const schema = create();
  const v = await schema(request(fn, { body: json({ name: 'x'.repeat(50) + 'SECRETVALUE' }) }));
  assert.equal(code(v), 'BWK_E_GUARD_INPUT_INVALID');
  assert.equal(!v.pass && v.error.status, 400);
  assert.match(!v.pass ? v.error.message : '', /body\/name must NOT have more than 20 characters/);
  assert.equal(!v.pass && v.rule, 'body');
  assert.doesNotMatch(!v.pass ? v.error.message : '', /SECRETVALUE/);
  const extra = await schema(request(fn, { body: json({ name: 'a', admin: true }) }));
  assert.match(!extra.pass ? extra.error.message : '', /additional properties \(admin\)/);
  assert.equal(code(await schema(request(fn, { body: json({ count: 1 }) }))), 'BWK_E_GUARD_INPUT_INVALID');
});

test('a body that is not JSON is refused whatever content type it claims; an empty POST too', async () => {
  const schema = create();
  const v = await schema(request(fn, { body: Buffer.from('{"name":'), headers: { 'content-type': 'text/plain' } }));
  assert.equal(code(v), 'BWK_E_GUARD_INPUT_INVALID');
  assert.match(!v.pass ? v.error.message : '', /not valid JSON/);
  assert.equal(code(await schema(request(fn, { body: Buffer.alloc(0) }))), 'BWK_E_GUARD_INPUT_INVALID');
});

test('a bodiless GET is not validated, a GET that carries a body is', async () => {
  const getFn = target(manifestYaml({ input: './schema.json', method: 'GET' }), { 'schema.json': inputSchema });
  const schema = create();
  assert.equal(code(await schema(request(getFn))), 'pass');
  assert.equal(code(await schema(request(getFn, { body: json({}) }))), 'BWK_E_GUARD_INPUT_INVALID');
});

test('validators are cached per version: a new version with a new schema is compiled afresh', async () => {
  const schema = create({ cacheSize: 1 });
  const v2 = target(manifestYaml({ input: './schema.json' }), { 'schema.json': JSON.stringify({ type: 'object', required: ['other'] }) }, 2);
  assert.equal(code(await schema(request(fn, { body: json({ name: 'a' }) }))), 'pass');
  assert.equal(code(await schema(request(v2, { body: json({ name: 'a' }) }))), 'BWK_E_GUARD_INPUT_INVALID');
  assert.equal(code(await schema(request(fn, { body: json({ name: 'a' }) }))), 'pass');
});

test('a stored version whose schema no longer compiles is refused with BWK_E_GUARD_SCHEMA_UNUSABLE, compiled once', async () => {
  // What an older Bulwark accepted and stored: a backreference the linear-time gate now refuses.
  const legacy = { ...fn, version: 7, manifest: { ...fn.manifest, input: { body: { type: 'string', pattern: '^(a)\\1$' } } } };
  const schema = create();
  for (let i = 0; i < 2; i++) {
    const v = await schema(request(legacy, { body: json('aa') }));
    assert.equal(code(v), 'BWK_E_GUARD_SCHEMA_UNUSABLE');
    assert.ok(!v.pass);
    assert.equal(v.error.status, 500);
    assert.match(v.error.message, /demo .*redeployed/);
    assert.doesNotMatch(v.error.message, /\\1/, 'the pattern stays out of the caller-facing message');
    assert.match(String(v.error.detail?.reason), /backreference/, 'the log detail names the pattern and why');
  }
  // Other versions are unaffected.
  assert.equal(code(await schema(request(fn, { body: json({ name: 'a' }) }))), 'pass');
});

const partFiles = {
  'body.json': inputSchema,
  'query.json': JSON.stringify({ type: 'object', required: ['limit'], properties: { limit: { type: 'integer', minimum: 1 }, tag: { type: 'array', items: { type: 'string', maxLength: 8 } } } }),
  'params.json': JSON.stringify({ type: 'object', properties: { id: { type: 'string', pattern: '^[0-9]+$' } } }),
  'headers.json': JSON.stringify({ type: 'object', required: ['x-api-version'], properties: { 'x-api-version': { enum: ['1', '2'] } } }),
};
const parts = target(manifestYaml({
  path: '/items/{id}',
  input: '{ body: ./body.json, query: ./query.json, params: ./params.json, headers: ./headers.json }',
}), partFiles);
const good: Pick<GuardRequest, 'params' | 'query' | 'headers' | 'body'> = {
  params: { id: '42' }, query: { limit: '10' }, headers: { 'x-api-version': '2' }, body: json({ name: 'Ada' }),
};

test('query, path parameters and headers are validated as text read as the schema types, each failure named by its location', async () => {
  const schema = create();
  assert.equal(code(await schema(request(parts, good))), 'pass');
  assert.equal(code(await schema(request(parts, { ...good, query: { limit: '10', tag: 'one' } }))), 'pass', 'a single value satisfies an array schema');
  const cases: Array<[Partial<typeof good>, RegExp, string]> = [
    [{ query: { limit: 'ten' } }, /^Input does not match the function schema: query\/limit must be integer$/, 'query'],
    [{ query: {} }, /query must have required property 'limit'/, 'query'],
    [{ query: { limit: '0' } }, /query\/limit must be >= 1/, 'query'],
    [{ query: { limit: '1', tag: ['ok', 'far-too-long'] } }, /query\/tag\/1 must NOT have more than 8 characters/, 'query'],
    [{ params: { id: '4x' } }, /params\/id must match pattern/, 'params'],
    [{ headers: { 'x-api-version': '3' } }, /headers\/x-api-version must be equal to one of the allowed values/, 'headers'],
    [{ headers: {} }, /headers must have required property 'x-api-version'/, 'headers'],
    [{ body: json({ name: 7 }) }, /body\/name must be string/, 'body'],
  ];
  for (const [over, message, part] of cases) {
    const v = await schema(request(parts, { ...good, ...over }));
    assert.ok(!v.pass, JSON.stringify(over));
    assert.equal(v.error.code, 'BWK_E_GUARD_INPUT_INVALID');
    assert.equal(v.error.status, 400);
    assert.match(v.error.message, message);
    assert.equal(v.rule, part);
    assert.doesNotMatch(v.error.message, /ten|4x|far-too-long/, 'the offending value is not echoed');
  }
});

test('coercion runs on a copy: the request keeps exactly what the caller sent', async () => {
  const req = request(parts, { ...good, query: { limit: '10', tag: ['a'] } });
  assert.equal(code(await create()(req)), 'pass');
  assert.deepEqual(req.query, { limit: '10', tag: ['a'] });
  assert.deepEqual(req.params, { id: '42' });
  assert.deepEqual(req.headers, { 'x-api-version': '2' });
});

test('the body schema is not coerced: a JSON string "3" is not an integer', async () => {
  const counted = target(manifestYaml({ input: './c.json' }), { 'c.json': JSON.stringify({ type: 'object', properties: { n: { type: 'integer' } } }) });
  const v = await create()(request(counted, { body: json({ n: '3' }) }));
  assert.match(!v.pass ? v.error.message : '', /body\/n must be integer/);
});

test('queue messages and scheduled runs: the payload is checked against the body schema, the other parts are not', async () => {
  const files = { 'b.json': inputSchema, 'q.json': JSON.stringify({ type: 'object', required: ['limit'] }) };
  const consumer = target(manifestYaml({ subject: 'images.uploaded', input: '{ body: ./b.json, query: ./q.json }' }), files);
  const schema = create();
  assert.equal(code(await schema(queueRequest(consumer, { name: 'Ada' }))), 'pass', 'no query on a message: the query schema does not apply');
  const v = await schema(queueRequest(consumer, { name: 'Ada', admin: true }));
  assert.match(!v.pass ? v.error.message : '', /body must NOT have additional properties \(admin\)/);
  assert.equal(code(await schema(queueRequest(consumer, null, { body: Buffer.from('not json') }))), 'BWK_E_GUARD_INPUT_INVALID');
  const scheduled = target([manifestYaml({ input: './b.json' }).replace('triggers:', 'triggers:\n  - schedule: { cron: "* * * * *", payload: { name: Cron } }')].join(''), files);
  assert.equal(code(await schema(scheduleRequest(scheduled))), 'pass');
});
