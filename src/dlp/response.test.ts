import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { HttpResult } from '../runtime/sandbox/sandbox.ts';
import { inspectResponse } from './response.ts';
import { createScanner } from './scanner.ts';

const scanner = createScanner();
const KEY = 'AKIAIOSFODNN7EXAMPLE';

function result(over: Partial<HttpResult>): HttpResult {
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, cookies: [], body: '{}', isBase64Encoded: false, ...over };
}

test('a clean response passes untouched, whatever the mode', () => {
  const clean = result({ body: JSON.stringify({ id: '3f1c2a9e-4b1d-4c53-9a0e-1d2b3c4d5e6f', sha: 'a'.repeat(40) }) });
  for (const mode of ['block', 'redact', 'off'] as const) {
    const out = inspectResponse(clean, scanner, mode);
    assert.equal(out.result, clean);
    assert.deepEqual(out.leaks, []);
    assert.equal(out.withheld, false);
  }
});

test('block withholds a response with a credential in the body, a header or a cookie', () => {
  for (const r of [result({ body: `{"k":"${KEY}"}` }), result({ headers: { 'x-debug': KEY } }), result({ cookies: [`aws=${KEY}; Path=/`] })]) {
    const out = inspectResponse(r, scanner, 'block');
    assert.equal(out.withheld, true);
    assert.equal(out.leaks[0]!.kind, 'aws-access-key-id');
    assert.doesNotMatch(JSON.stringify(out.leaks), /AKIA/);
  }
});

test('redact replaces each finding and keeps the rest of the response', () => {
  const out = inspectResponse(result({ body: `{"k":"${KEY}","n":1}`, headers: { 'content-type': 'application/json', 'x-k': `id ${KEY}` }, cookies: [`a=${KEY}`] }), scanner, 'redact');
  assert.equal(out.withheld, false);
  assert.deepEqual(JSON.parse(out.result.body), { k: '[REDACTED:aws-access-key-id]', n: 1 });
  assert.equal(out.result.headers['x-k'], 'id [REDACTED:aws-access-key-id]');
  assert.deepEqual(out.result.cookies, ['a=[REDACTED:aws-access-key-id]']);
  assert.deepEqual(out.leaks.map((l) => [l.kind, l.count]), [['aws-access-key-id', 3]]);
});

test('a base64-encoded text body is decoded, redacted and re-encoded', () => {
  const body = Buffer.from(`key: ${KEY}\n`).toString('base64');
  const out = inspectResponse(result({ headers: { 'Content-Type': 'text/plain' }, body, isBase64Encoded: true }), scanner, 'redact');
  assert.equal(out.withheld, false);
  assert.equal(Buffer.from(out.result.body, 'base64').toString(), 'key: [REDACTED:aws-access-key-id]\n');
});

test('a binary body is scanned byte-wise; a finding withholds it even under redact, since cutting would corrupt it', () => {
  const bytes = Buffer.concat([Buffer.alloc(64, 0xff), Buffer.from(KEY), Buffer.alloc(64)]);
  const binary = result({ headers: { 'content-type': 'application/octet-stream' }, body: bytes.toString('base64'), isBase64Encoded: true });
  assert.equal(inspectResponse(binary, scanner, 'redact').withheld, true);
  const image = result({ headers: { 'content-type': 'image/png' }, body: randomBytes(4096).toString('base64'), isBase64Encoded: true });
  assert.deepEqual(inspectResponse(image, scanner, 'block').leaks, [], 'random image bytes hold no credential shape');
});

test('off scans nothing', () => {
  const r = result({ body: KEY });
  assert.deepEqual(inspectResponse(r, scanner, 'off'), { result: r, leaks: [], withheld: false });
});

test('a credential in a header name (lower-cased on the way) withholds the response even under redact', () => {
  const secret = 'Tr0ub4dor-and-3-horses';
  const withKnown = createScanner({ secretValues: () => [secret] });
  for (const name of [KEY.toLowerCase(), `x-${secret.toLowerCase()}`]) {
    const out = inspectResponse(result({ headers: { [name]: '1' } }), withKnown, 'redact');
    assert.equal(out.withheld, true, name);
    assert.equal(out.leaks.length, 1);
  }
  assert.equal(inspectResponse(result({ headers: { 'x-request-id': 'abc' } }), withKnown, 'block').withheld, false);
});
