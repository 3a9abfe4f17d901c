import { test } from 'node:test';
import assert from 'node:assert/strict';
import { normaliseResult } from './result.ts';

const MAX = 1024;

test('payload 2.0: a plain object becomes a 200 JSON body', () => {
  const r = normaliseResult({ a: 1 }, '2.0', MAX, 'f');
  assert.deepEqual(r, { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: '{"a":1}', isBase64Encoded: false });
});

test('payload 2.0: a string is passed through as the body', () => {
  assert.equal(normaliseResult('hello', '2.0', MAX, 'f').body, 'hello');
});

test('payload 1.0: a result without statusCode is a bad response', () => {
  assert.throws(() => normaliseResult({ a: 1 }, '1.0', MAX, 'f'), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' });
});

test('headers, multiValueHeaders and cookies merge; set-cookie becomes cookies', () => {
  const r = normaliseResult({
    statusCode: 201,
    headers: { 'X-One': 1, 'Set-Cookie': 'a=1' },
    multiValueHeaders: { 'x-two': ['a', 'b'], 'Set-Cookie': ['b=2'] },
    cookies: ['c=3'],
    body: 'ok',
  }, '1.0', MAX, 'f');
  assert.equal(r.statusCode, 201);
  assert.deepEqual(r.headers, { 'x-one': '1', 'x-two': 'a, b' });
  assert.deepEqual(r.cookies, ['a=1', 'b=2', 'c=3']);
});

test('header injection and bad types are refused', () => {
  const cases: unknown[] = [
    { statusCode: 200, headers: { 'x-a': 'v\r\nx-evil: 1' } },
    { statusCode: 200, headers: { 'bad name': 'v' } },
    { statusCode: 200, headers: { 'x-a': { nested: true } } },
    { statusCode: 99 },
    { statusCode: '200' },
    { statusCode: 200, body: { not: 'a string' } },
    { statusCode: 200, isBase64Encoded: 'yes' },
    { statusCode: 200, body: 'not base64!', isBase64Encoded: true },
    { statusCode: 200, cookies: [1] },
  ];
  for (const c of cases) assert.throws(() => normaliseResult(c, '2.0', MAX, 'f'), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' }, JSON.stringify(c));
});

test('a body over maxResponseBytes is refused', () => {
  assert.throws(() => normaliseResult('x'.repeat(MAX + 1), '2.0', MAX, 'f'), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' });
  assert.throws(() => normaliseResult({ statusCode: 200, body: Buffer.alloc(MAX + 3).toString('base64'), isBase64Encoded: true }, '2.0', MAX, 'f'), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' });
  assert.equal(normaliseResult({ statusCode: 200, body: Buffer.alloc(MAX).toString('base64'), isBase64Encoded: true }, '2.0', MAX, 'f').isBase64Encoded, true);
});
