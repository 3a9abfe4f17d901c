import { test } from 'node:test';
import assert from 'node:assert/strict';
import { create } from './index.ts';
import { manifestYaml, request, target } from '../testing.ts';

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
  assert.match(!v.pass ? v.error.message : '', /\/name must NOT have more than 20 characters/);
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
  const legacy = { ...fn, version: 7, manifest: { ...fn.manifest, input: { type: 'string', pattern: '^(a)\\1$' } } };
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
