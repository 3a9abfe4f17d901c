// What callers get back when things go wrong: only the error shape, the right status, no internals.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { echoHandler, errorBody, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

let tp: TestPlatform;
const json = { 'content-type': 'application/json' };
const schema = JSON.stringify({ type: 'object', required: ['qty'], additionalProperties: false, properties: { qty: { type: 'integer', minimum: 1 } } });

before(async () => {
  tp = await startTestPlatform({ overrides: { gateway: { maxBodyBytes: 8192 } } });
  const fns: Array<Record<string, string>> = [
    { 'bulwark.yaml': manifest('echo', ['{ method: ANY, path: "/{proxy+}" }', '{ method: ANY, path: / }'], ['limits: { body: 100B }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('orders', ['{ method: POST, path: / }'], ['input: ./schema.json']), 'schema.json': schema, 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('slow', ['{ method: GET, path: / }'], ['limits: { concurrency: 1, queue: 1 }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('boom', ['{ method: GET, path: / }']), 'index.mjs': 'export const handler = async () => { throw new Error("kaboom at /home/secret/path.js"); };' },
  ];
  for (const f of fns) assert.equal((await tp.deployFiles(f)).status, 201);
});
after(() => tp.close());

test('unknown routes → 404 in the error shape: outside /fn, unknown function, unmatched path or method', async () => {
  for (const [method, path] of [['GET', '/nope'], ['GET', '/fn/missing'], ['GET', '/fn/ECHO'], ['PUT', '/fn/orders'], ['GET', '/admin/v1/nothing']]) {
    const res = await tp.fetch(path!, { method, key: tp.adminKey });
    assert.equal(res.status, 404, `${method} ${path}`);
    assert.equal((await errorBody(res, [tp.adminKey])).code, 'BWK_E_GATEWAY_NOT_FOUND');
  }
});

test('malformed JSON on the admin API → 400 with only the error shape; __proto__ poisoning too', async () => {
  for (const body of ['{"role": "admin",', '{"__proto__": {"role": "admin"}, "role": "viewer", "functions": ["*"]}']) {
    const res = await tp.fetch('/admin/v1/keys', { method: 'POST', key: tp.adminKey, headers: json, body });
    assert.equal(res.status, 400, body);
    assert.equal((await errorBody(res)).code, 'BWK_E_GATEWAY_BAD_REQUEST');
  }
  const wrongType = await tp.fetch('/admin/v1/keys', { method: 'POST', key: tp.adminKey, headers: { 'content-type': 'text/plain' }, body: 'x' });
  assert.equal(wrongType.status, 415);
  assert.equal((await errorBody(wrongType)).code, 'BWK_E_GATEWAY_UNSUPPORTED_MEDIA_TYPE');
  const invalid = await tp.fetch('/admin/v1/keys', { method: 'POST', key: tp.adminKey, headers: json, body: JSON.stringify({ role: 'root', functions: ['*'] }) });
  assert.equal(invalid.status, 400);
  assert.match((await errorBody(invalid)).message, /role/);
});

test('body too large: over the gateway cap and over the manifest limit → 413', async () => {
  const huge = await tp.fetch('/fn/echo/x', { method: 'POST', key: tp.adminKey, body: 'x'.repeat(9000) });
  assert.equal(huge.status, 413);
  assert.equal((await errorBody(huge)).code, 'BWK_E_GUARD_BODY_TOO_LARGE');
  const overManifest = await tp.fetch('/fn/echo/x', { method: 'POST', key: tp.adminKey, body: 'x'.repeat(101) });
  assert.equal(overManifest.status, 413);
  assert.match((await errorBody(overManifest)).message, /100 bytes/);
  assert.equal((await tp.fetch('/fn/echo/x', { method: 'POST', key: tp.adminKey, body: 'x'.repeat(100) })).status, 200);
});

test('the body limit is checked before authentication: no credential, oversized body → 413', async () => {
  const res = await tp.fetch('/fn/echo/x', { method: 'POST', body: 'x'.repeat(101) });
  assert.equal(res.status, 413);
});

test('schema violations and non-JSON bodies on a schema function → 400 BWK_E_GUARD_INPUT_INVALID', async () => {
  for (const body of ['{"qty": 0}', '{"qty": 1, "admin": true}', '{"qty":', 'plain text']) {
    const res = await tp.fetch('/fn/orders', { method: 'POST', key: tp.adminKey, headers: json, body });
    assert.equal(res.status, 400, body);
    assert.equal((await errorBody(res)).code, 'BWK_E_GUARD_INPUT_INVALID');
  }
  assert.equal((await tp.fetch('/fn/orders', { method: 'POST', key: tp.adminKey, headers: json, body: '{"qty": 3}' })).status, 200);
});

test('concurrency full → 429 with Retry-After; a queued call still completes', async () => {
  const first = tp.fetch('/fn/slow?sleep=800', { key: tp.adminKey });
  await new Promise((r) => setTimeout(r, 150));
  const queued = tp.fetch('/fn/slow?sleep=10', { key: tp.adminKey });
  await new Promise((r) => setTimeout(r, 100));
  const refused = await tp.fetch('/fn/slow', { key: tp.adminKey });
  assert.equal(refused.status, 429);
  assert.equal(refused.headers.get('retry-after'), '1');
  assert.equal((await errorBody(refused)).code, 'BWK_E_GUARD_CONCURRENCY');
  assert.equal((await first).status, 200);
  assert.equal((await queued).status, 200);
  assert.equal((await tp.fetch('/fn/slow', { key: tp.adminKey })).status, 200, 'permits were all given back');
});

test('a function that throws → 502 with a request id; the message and stack stay in the log', async () => {
  const res = await tp.fetch('/fn/boom', { key: tp.adminKey });
  assert.equal(res.status, 502);
  const err = await errorBody(res);
  assert.ok(!err.message.includes('kaboom'));
  await new Promise((r) => setTimeout(r, 50));
  assert.ok(tp.logLines().some((l) => l.includes(err.requestId) && l.includes('kaboom')), 'the detail is logged under the request id');
});

test('a caller-supplied x-request-id is not adopted', async () => {
  const res = await tp.fetch('/fn/missing', { headers: { 'x-request-id': 'attacker-chosen' } });
  const id = res.headers.get('x-request-id')!;
  assert.notEqual(id, 'attacker-chosen');
  assert.match(id, /^[0-9a-f-]{36}$/);
  assert.equal((await errorBody(res)).requestId, id);
});

test('a badly percent-encoded URL → 400 in the error shape', async () => {
  const res = await tp.fetch('/fn/echo/%E0%A4%A', { key: tp.adminKey });
  assert.equal(res.status, 400);
  assert.equal((await errorBody(res)).code, 'BWK_E_GATEWAY_BAD_REQUEST');
});

async function raw(request: string): Promise<string> {
  const url = new URL(tp.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname, () => sock.write(request));
    let out = '';
    sock.on('data', (d) => (out += d));
    sock.on('end', () => resolve(out));
    sock.on('error', reject);
  });
}

test('HTTP the parser rejects (oversized headers, garbage) still gets the error shape', async () => {
  const big = await raw(`GET /fn/echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.match(big, /"code":"BWK_E_GATEWAY_HEADERS_TOO_LARGE"/);
  const garbage = await raw('NOT HTTP AT ALL\r\n\r\n');
  assert.match(garbage, /^HTTP\/1\.1 400 /);
  assert.match(garbage, /"code":"BWK_E_GATEWAY_BAD_REQUEST"/);
  assert.match(garbage, /x-content-type-options: nosniff/);
});

test('security headers on Bulwark responses', async () => {
  const res = await tp.fetch('/admin/v1/functions', { key: tp.adminKey });
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('cache-control'), 'no-store');
  assert.equal(res.headers.get('x-frame-options'), 'DENY');
  assert.match(res.headers.get('content-security-policy') ?? '', /default-src 'none'/);
  const health = await tp.fetch('/healthz');
  assert.deepEqual(await health.json(), { status: 'ok' });
  assert.equal(health.headers.get('cache-control'), 'no-store');
});

test('a request not received within gateway.requestTimeoutMs → 408 in the error shape', async () => {
  const slow = await startTestPlatform({ overrides: { gateway: { requestTimeoutMs: 500 } } });
  try {
    const url = new URL(slow.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve, reject) => {
      // Headers never finish: a slowloris client.
      const sock = connect(Number(url.port), url.hostname, () => sock.write('POST /fn/echo HTTP/1.1\r\nHost: x\r\n'));
      let out = '';
      sock.on('data', (d) => (out += d));
      sock.on('close', () => resolve(out));
      sock.on('error', reject);
    });
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.match(answer, /"code":"BWK_E_GATEWAY_REQUEST_TIMEOUT"/);
    assert.ok(Date.now() - started < 500 + 1000 + 1500, 'answered within the timeout plus one checking interval and slack');
  } finally {
    await slow.close();
  }
});
