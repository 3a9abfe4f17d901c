// The invocation path over real HTTP: routing, the API Gateway events a function receives, and what
// the gateway lets a function's response do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { echoHandler, errorBody, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

let tp: TestPlatform;

const responder = `
export const handler = async (event) => {
  const kind = event.pathParameters?.kind;
  if (kind === 'framing') return {
    statusCode: 201,
    headers: { 'content-type': 'text/plain', 'content-length': '9999', 'transfer-encoding': 'chunked', connection: 'close',
      'x-request-id': 'forged', 'x-content-type-options': 'sniff-away', 'x-custom': 'kept', 'cache-control': 'max-age=60' },
    cookies: ['a=1; HttpOnly', 'b=2'],
    body: 'framed by the gateway',
  };
  if (kind === 'binary') return { statusCode: 200, headers: { 'content-type': 'image/png' }, isBase64Encoded: true, body: Buffer.from([0, 1, 2, 255]).toString('base64') };
  if (kind === 'inject') return { statusCode: 200, headers: { 'x-evil': 'a\\r\\nSet-Cookie: stolen=1', 'x-fine': 'ok' }, body: 'x' };
  return { statusCode: 200, body: 'plain' };
};
`;

before(async () => {
  tp = await startTestPlatform();
  const fns: Array<Record<string, string>> = [
    { 'bulwark.yaml': manifest('v2', ['{ method: ANY, path: "/items/{id}" }', '{ method: GET, path: /items/special }', '{ method: ANY, path: "/files/{path+}" }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('v1', ['{ method: ANY, path: "/items/{id}" }'], ['runtime: { payloadFormat: "1.0" }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('pub', ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('pub1', ['{ method: GET, path: /, auth: public }'], ['runtime: { payloadFormat: "1.0" }']), 'index.mjs': echoHandler },
    { 'bulwark.yaml': manifest('resp', ['{ method: GET, path: "/{kind}" }']), 'index.mjs': responder },
  ];
  for (const f of fns) assert.equal((await tp.deployFiles(f)).status, 201);
});
after(() => tp.close());

type Json = Record<string, any>;

test('2.0 event: route key, raw path and query, params, cookies, lower-cased headers, authorizer, no credential header', async () => {
  const res = await tp.fetch('/fn/v2/items/a%20b?x=1&x=2&y=z', {
    method: 'POST', key: tp.adminKey,
    headers: { 'content-type': 'application/json', cookie: 'c1=v1; c2=v2', 'X-Mixed-Case': 'yes' },
    body: '{"hello":"world"}',
  });
  assert.equal(res.status, 200);
  const e = await res.json() as Json;
  assert.equal(e.version, '2.0');
  assert.equal(e.routeKey, 'ANY /items/{id}');
  assert.equal(e.rawPath, '/items/a%20b');
  assert.equal(e.rawQueryString, 'x=1&x=2&y=z');
  assert.deepEqual(e.queryStringParameters, { x: '1,2', y: 'z' });
  assert.deepEqual(e.pathParameters, { id: 'a b' });
  assert.deepEqual(e.cookies, ['c1=v1', 'c2=v2']);
  assert.equal(e.headers['x-mixed-case'], 'yes');
  assert.equal(e.headers.cookie, undefined);
  assert.equal(e.headers.authorization, undefined);
  assert.equal(e.body, '{"hello":"world"}');
  assert.equal(e.isBase64Encoded, false);
  assert.equal(e.requestContext.http.method, 'POST');
  assert.equal(e.requestContext.http.sourceIp, '127.0.0.1');
  assert.equal(e.requestContext.stage, '$default');
  assert.equal(e.requestContext.requestId, res.headers.get('x-request-id'));
  assert.equal(typeof e.requestContext.timeEpoch, 'number');
  assert.equal(e.requestContext.authorizer.lambda.roles[0], 'admin');
});

test('routing: a literal segment beats a parameter; {path+} takes the rest; a binary body arrives base64', async () => {
  const special = await (await tp.fetch('/fn/v2/items/special', { key: tp.adminKey })).json() as Json;
  assert.equal(special.routeKey, 'GET /items/special');
  const files = await (await tp.fetch('/fn/v2/files/a/b/c.txt', {
    method: 'PUT', key: tp.adminKey, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([0, 159, 255]),
  })).json() as Json;
  assert.deepEqual(files.pathParameters, { path: 'a/b/c.txt' });
  assert.equal(files.isBase64Encoded, true);
  assert.deepEqual([...Buffer.from(files.body, 'base64')], [0, 159, 255]);
  assert.equal((await tp.fetch('/fn/v2/files/', { key: tp.adminKey })).status, 404, 'a greedy parameter needs at least one segment');
});

test('1.0 event: resource, path, httpMethod, multi-value maps, null for empty maps', async () => {
  const res = await tp.fetch('/fn/v1/items/7?t=1&t=2', { key: tp.adminKey, headers: { 'x-a': 'one' } });
  const e = await res.json() as Json;
  assert.equal(e.resource, '/items/{id}');
  assert.equal(e.path, '/items/7');
  assert.equal(e.httpMethod, 'GET');
  assert.deepEqual(e.queryStringParameters, { t: '2' });
  assert.deepEqual(e.multiValueQueryStringParameters, { t: ['1', '2'] });
  assert.deepEqual(e.multiValueHeaders['x-a'], ['one']);
  assert.deepEqual(e.pathParameters, { id: '7' });
  assert.equal(e.body, null);
  assert.equal(e.requestContext.requestId, res.headers.get('x-request-id'));
  assert.equal(e.requestContext.identity.sourceIp, '127.0.0.1');
  assert.match(e.requestContext.authorizer.principalId, /^key:/);
});

test('public routes forward other credentials (the function may do its own auth), never a Bulwark key', async () => {
  const e = await (await tp.fetch('/fn/pub', { headers: { authorization: 'Bearer its-own-token' } })).json() as Json;
  assert.equal(e.headers.authorization, 'Bearer its-own-token');
  assert.equal(e.requestContext.authorizer, undefined);

  // A caller (or a CLI) that sends its admin key to a public function out of habit: the key never
  // reaches function code, in either header, in either payload format.
  for (const path of ['/fn/pub', '/fn/pub1']) {
    const variants: Array<Record<string, string>> = [{ authorization: `Bearer ${tp.adminKey}` }, { 'x-api-key': tp.adminKey }, { authorization: `Bearer ${tp.adminKey}`, 'x-api-key': tp.adminKey }];
    for (const headers of variants) {
      const res = await tp.fetch(path, { headers });
      assert.equal(res.status, 200);
      const text = await res.text();
      assert.ok(!text.includes('bwk_'), `${path} with ${Object.keys(headers).join('+')}: a Bulwark key reached the function: ${text.slice(0, 300)}`);
      const seen = JSON.parse(text) as Json;
      assert.equal(seen.headers.authorization ?? seen.headers.Authorization, undefined);
      assert.equal(seen.headers['x-api-key'], undefined);
    }
  }
  const mixed = await (await tp.fetch('/fn/pub', { headers: { 'x-api-key': tp.adminKey, authorization: 'Bearer its-own-token' } })).json() as Json;
  assert.equal(mixed.headers.authorization, 'Bearer its-own-token', 'the function\'s own token still passes beside a stripped key');
  assert.equal(mixed.headers['x-api-key'], undefined);
});

test('a function cannot set framing, hop-by-hop or protected headers; cookies become Set-Cookie', async () => {
  const res = await tp.fetch('/fn/resp/framing', { key: tp.adminKey });
  assert.equal(res.status, 201);
  assert.equal(await res.text(), 'framed by the gateway');
  assert.equal(res.headers.get('content-length'), String('framed by the gateway'.length));
  assert.equal(res.headers.get('transfer-encoding'), null);
  assert.notEqual(res.headers.get('connection'), 'close');
  assert.notEqual(res.headers.get('x-request-id'), 'forged');
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
  assert.equal(res.headers.get('x-custom'), 'kept');
  assert.equal(res.headers.get('cache-control'), 'max-age=60', 'a function decides its own caching');
  assert.equal(res.headers.get('x-frame-options'), 'DENY', 'framing defaults stay unless the function sets its own');
  assert.deepEqual(res.headers.getSetCookie(), ['a=1; HttpOnly', 'b=2']);
});

test('base64 bodies are decoded; a header value with CR/LF never reaches the wire', async () => {
  const bin = await tp.fetch('/fn/resp/binary', { key: tp.adminKey });
  assert.equal(bin.headers.get('content-type'), 'image/png');
  assert.deepEqual([...new Uint8Array(await bin.arrayBuffer())], [0, 1, 2, 255]);
  const inj = await tp.fetch('/fn/resp/inject', { key: tp.adminKey });
  // The sandbox already refuses such a response; function-reply.ts would drop the header if one got through.
  assert.equal(inj.status, 502);
  assert.equal((await errorBody(inj)).code, 'BWK_E_SANDBOX_BAD_RESPONSE');
  assert.deepEqual(inj.headers.getSetCookie(), []);
  const plain = await tp.fetch('/fn/resp/plain', { key: tp.adminKey });
  assert.equal(plain.headers.get('content-type'), 'text/plain; charset=utf-8');
  assert.equal(plain.headers.get('cache-control'), null);
});
