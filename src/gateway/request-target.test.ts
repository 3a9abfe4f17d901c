// Route confusion over real HTTP: a public {proxy+} route must not be a way into a protected route of
// the same function through dot segments, encoded slashes or backslashes, and the Host the function
// sees is always hostname[:port]. Raw requests (node:http keeps the path exactly as written, as
// `curl --path-as-is` does; fetch would fold the dots itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { echoHandler, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

let tp: TestPlatform;

// A web-fetch handler: its Request URL is resolved by the WHATWG URL parser, which folds `..` and `%2e%2e`.
const webapp = `
export default {
  async fetch(request) {
    const path = new URL(request.url).pathname;
    console.log('served ' + path);
    return Response.json({ path, host: request.headers.get('host') });
  },
};
`;

before(async () => {
  tp = await startTestPlatform();
  const res = await tp.deployFiles({
    'bulwark.yaml': manifest('webapp', ['{ method: GET, path: "/public/{proxy+}", auth: public }', '{ method: GET, path: "/admin/{proxy+}" }'])
      .replace('index.mjs#handler', 'index.mjs#default'),
    'index.mjs': webapp,
  });
  assert.equal(res.status, 201, res.text);
});
after(() => tp.close());

interface RawAnswer { status: number; body: string }

/** GET with the path and headers exactly as given. */
function rawGet(path: string, headers: Record<string, string> = {}): Promise<RawAnswer> {
  const url = new URL(tp.url);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: url.hostname, port: Number(url.port), path, method: 'GET', headers, setHost: !('host' in headers) }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ status: res.statusCode!, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

async function servedPaths(): Promise<string[]> {
  const res = await tp.fetch('/admin/v1/functions/webapp/logs?limit=1000', { key: tp.adminKey });
  const { logs } = await res.json() as { logs: Array<{ message: string }> };
  return logs.map((l) => l.message).filter((m) => m.startsWith('served ')).sort();
}

test('dot segments, encoded dots, encoded slashes, backslashes and NUL → 400 before routing; the function never runs', async () => {
  const attacks = [
    '/fn/webapp/public/../admin/users',
    '/fn/webapp/public/%2e%2e/admin/users',
    '/fn/webapp/public/%2E%2E/admin/users',
    '/fn/webapp/public/.%2e/admin/users',
    '/fn/webapp/public/%2e./admin/users',
    '/fn/webapp/public/./x',
    '/fn/webapp/public/%2e/x',
    '/fn/webapp/public/x/..',
    '/fn/webapp/public/..%2fadmin%2fusers',
    '/fn/webapp/public/..%2Fadmin/users',
    '/fn/webapp/public/..%5cadmin/users',
    '/fn/webapp/public/..\\admin/users',
    '/fn/webapp/public/a%00b',
    '/fn/webapp/public/../admin/users?x=1',
  ];
  for (const path of attacks) {
    const answer = await rawGet(path);
    assert.equal(answer.status, 400, `${path} → ${answer.status} ${answer.body}`);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'BWK_E_GATEWAY_BAD_REQUEST', path);
  }
  // The public route itself still works, and dots inside a segment are ordinary text.
  const fine = await rawGet('/fn/webapp/public/v1.2/..config');
  assert.equal(fine.status, 200, fine.body);
  assert.equal((JSON.parse(fine.body) as { path: string }).path, '/public/v1.2/..config');
  // Function logs are written asynchronously: wait for the legitimate call's line, then nothing else may be there.
  let served: string[] = [];
  for (let i = 0; i < 100 && served.length === 0; i++) {
    served = await servedPaths();
    if (served.length === 0) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(served, ['served /public/v1.2/..config'], 'only the legitimate request reached the function');
});

test('the protected route still needs a key when reached directly', async () => {
  assert.equal((await rawGet('/fn/webapp/admin/users')).status, 401);
});

test('a Host that is not hostname[:port] → 400; a valid one reaches the function as sent', async () => {
  for (const host of ['evil.example/admin?', 'a b', 'x@y', 'example.com:80:80', '']) {
    const answer = await rawGet('/fn/webapp/public/x', { host });
    assert.equal(answer.status, 400, `Host ${JSON.stringify(host)} → ${answer.status}`);
    assert.equal((JSON.parse(answer.body) as { error: { code: string } }).error.code, 'BWK_E_GATEWAY_BAD_REQUEST');
  }
  for (const host of ['api.example.com', 'api.example.com:8443', '127.0.0.1:9', '[::1]:8080', 'svc_internal']) {
    const answer = await rawGet('/fn/webapp/public/x', { host });
    assert.equal(answer.status, 200, `Host ${host}: ${answer.body}`);
    assert.equal((JSON.parse(answer.body) as { host: string }).host, host);
  }
});

test('route confusion through case, trailing slash, empty segments and ; → 400; exact paths route as before', async () => {
  // The review's setup: /admin needs a key, everything else is public through {proxy+}. A router inside
  // the function that ignores case and a trailing slash (Express's defaults) would serve each attack as /admin.
  const res = await tp.deployFiles({
    'bulwark.yaml': manifest('mix', ['{ method: ANY, path: "/admin" }', '{ method: GET, path: "/items/{id}" }', '{ method: ANY, path: "/{proxy+}", auth: public }'])
      .replace('index.mjs#handler', 'index.mjs#default'),
    'index.mjs': webapp.replace("'served '", "'mix '"),
  });
  assert.equal(res.status, 201, res.text);
  const attacks = [
    '/fn/mix/ADMIN', '/fn/mix/Admin', '/fn/mix/admin/', '/fn/mix/ADMIN/', '/fn/mix/%41dmin',
    '/fn/mix//admin', '/fn/mix/admin//', '//fn/mix/admin', '/fn/mix/admin;x', '/fn/mix/admin%3bx', '/fn/mix/admin;',
    '/fn/mix/ITEMS/7', '/fn/mix/items/7/', '/fn/mix/admin/?x=1',
  ];
  for (const path of attacks) {
    const answer = await rawGet(path);
    assert.equal(answer.status, 400, `${path} → ${answer.status} ${answer.body}`);
    const error = (JSON.parse(answer.body) as { error: { code: string; message: string } }).error;
    assert.equal(error.code, 'BWK_E_GATEWAY_BAD_REQUEST', path);
    assert.doesNotMatch(error.message, /\/admin|\/items/, 'the protected trigger is not named to the caller');
  }
  // Exact paths: the protected ones still need a key, public ones (a trailing slash included) still serve.
  assert.equal((await rawGet('/fn/mix/admin')).status, 401);
  assert.equal((await rawGet('/fn/mix/admin', { authorization: `Bearer ${tp.adminKey}` })).status, 200);
  assert.equal((await rawGet('/fn/mix/items/7')).status, 401);
  for (const path of ['/fn/mix/other', '/fn/mix/docs/', '/fn/mix/administrator', '/fn/mix/admin/users', '/fn/mix/items/7/x', '/fn/mix/a?x=%3b;//']) {
    const answer = await rawGet(path);
    assert.equal(answer.status, 200, `${path} → ${answer.status} ${answer.body}`);
  }
  // Function logs are written asynchronously: wait for the keyed /admin call's line, then check no attack got in.
  let served: string[] = [];
  for (let i = 0; i < 100 && !served.includes('mix /admin'); i++) {
    const logs = await tp.request('GET', '/admin/v1/functions/mix/logs?limit=1000', { key: tp.adminKey });
    served = (logs.json.logs as Array<{ message: string }>).map((l) => l.message);
    if (!served.includes('mix /admin')) await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(served.filter((m) => /^mix \/(admin|items)(\/|$)/i.test(m) && m !== 'mix /admin/users' && m !== 'mix /items/7/x'), ['mix /admin'], 'no attack reached the function');
});

/** Writes `head` (request line and headers, CRLF-separated, without the final blank line) on a raw socket. */
function rawHttp(head: string): Promise<RawAnswer> {
  const url = new URL(tp.url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(url.port), url.hostname, () => socket.write(`${head}\r\n\r\n`));
    let text = '';
    socket.setEncoding('utf8').on('data', (d: string) => (text += d)).on('error', reject).on('close', () => {
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(text)?.[1] ?? 0);
      resolve({ status, body: text.slice(text.indexOf('\r\n\r\n') + 4) });
    });
  });
}

test('HTTP/1.0 without Host is served (health checks), with the arrival address as the domain; a bad or missing Host otherwise → 400', async () => {
  const health = await rawHttp('GET /healthz HTTP/1.0');
  assert.equal(health.status, 200, health.body);
  assert.deepEqual(JSON.parse(health.body), { status: 'ok' });
  const fn = await rawHttp('GET /fn/webapp/public/x HTTP/1.0');
  assert.equal(fn.status, 200, fn.body);
  assert.equal((JSON.parse(fn.body) as { path: string }).path, '/public/x');
  const deployed = await tp.deployFiles({ 'bulwark.yaml': manifest('echo10', ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler });
  assert.equal(deployed.status, 201, deployed.text);
  const event = JSON.parse((await rawHttp('GET /fn/echo10 HTTP/1.0')).body) as { requestContext: { domainName: string }; headers: Record<string, string> };
  assert.equal(event.requestContext.domainName, '127.0.0.1', 'the domain is the address the request arrived on');
  assert.equal(event.headers.host, undefined);
  const exact = await rawHttp('GET /fn/webapp/public/x HTTP/1.0\r\nHost: api.example.com');
  assert.equal((JSON.parse(exact.body) as { host: string }).host, 'api.example.com', 'a Host sent over HTTP/1.0 is used as sent');
  for (const head of ['GET /healthz HTTP/1.0\r\nHost: a b', 'GET /healthz HTTP/1.0\r\nHost: x@y', 'GET /healthz HTTP/1.0\r\nHost: a\r\nHost: b', 'GET /healthz HTTP/1.1\r\nConnection: close']) {
    const answer = await rawHttp(head);
    assert.equal(answer.status, 400, `${JSON.stringify(head)} → ${answer.status}`);
  }
});
