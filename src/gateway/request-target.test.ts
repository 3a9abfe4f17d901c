// Route confusion over real HTTP: a public {proxy+} route must not be a way into a protected route of
// the same function through dot segments, encoded slashes or backslashes, and the Host the function
// sees is always hostname[:port]. Raw requests (node:http keeps the path exactly as written, as
// `curl --path-as-is` does; fetch would fold the dots itself).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

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
