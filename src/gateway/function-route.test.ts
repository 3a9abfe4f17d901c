// Function routes are served without fastify (function-route.ts): what the framework did for them must
// still hold, over real HTTP, byte for byte where it matters (which bodies are read, the refusals before
// the body, the stop).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { echoHandler, manifest, startTestPlatform, type TestPlatform } from '../../test/support/platform.ts';

let tp: TestPlatform;

/** Answers ?status=204 (with a body and a type it must not send) or ?status=200, else the event. */
const statusHandler = `
export const handler = async (event) => {
  const status = Number(event.queryStringParameters?.status ?? 200);
  return { statusCode: status, headers: { 'content-type': 'text/plain' }, body: 'abcde' };
};
`;

before(async () => {
  tp = await startTestPlatform({ overrides: { gateway: { maxBodyBytes: 4096 } } as never });
  assert.equal((await tp.deployFiles({ 'bulwark.yaml': manifest('route', ['{ method: ANY, path: "/{p+}" }']), 'index.mjs': echoHandler })).status, 201);
  assert.equal((await tp.deployFiles({ 'bulwark.yaml': manifest('status', ['{ method: GET, path: / }']), 'index.mjs': statusHandler })).status, 201);
});
after(() => tp.close());

/** Sends `text` on a new connection and collects the answer until the server closes it. */
function raw(text: string, port = tp.port): Promise<string> {
  return new Promise((resolve, reject) => {
    let answer = '';
    const sock = connect(port, '127.0.0.1', () => sock.write(text));
    sock.on('data', (d) => (answer += d));
    sock.on('error', reject);
    sock.on('close', () => resolve(answer));
  });
}

function request(method: string, path: string, headers: string[], body = ''): Promise<string> {
  return raw([`${method} ${path} HTTP/1.1`, 'Host: x', `Authorization: Bearer ${tp.adminKey}`, 'Connection: close', ...headers, '', body].join('\r\n'));
}

const statusOf = (answer: string): number => Number(/^HTTP\/1\.1 (\d{3})/.exec(answer)?.[1]);
/** The body the function's event carried (decoded when the gateway sent it base64-encoded), or undefined. */
function bodyOf(answer: string): string | undefined {
  const event = JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4)) as { body?: string; isBase64Encoded: boolean };
  return event.body === undefined || !event.isBase64Encoded ? event.body : Buffer.from(event.body, 'base64').toString('utf8');
}

test('a body is read when fastify read one: by method, Content-Type and length, as sent', async () => {
  // GET and HEAD: never, even with a body on the wire.
  const get = await request('GET', '/fn/route/a', ['Content-Type: text/plain', 'Content-Length: 5'], 'hello');
  assert.equal(statusOf(get), 200);
  assert.equal(bodyOf(get), undefined);
  // POST: with a type, with a length, or chunked, whatever the type says.
  const post = await request('POST', '/fn/route/a', ['Content-Length: 5'], 'hello');
  assert.equal(bodyOf(post), 'hello');
  const chunked = await request('POST', '/fn/route/a', ['Content-Type: text/plain', 'Transfer-Encoding: chunked'], '5\r\nhello\r\n0\r\n\r\n');
  assert.equal(bodyOf(chunked), 'hello');
  // An empty body reaches the function as none, as it did through fastify.
  const emptyTyped = await request('POST', '/fn/route/a', ['Content-Type: text/plain', 'Content-Length: 0']);
  assert.equal(bodyOf(emptyTyped), undefined);
  const none = await request('POST', '/fn/route/a', []);
  assert.equal(bodyOf(none), undefined);
  // DELETE and OPTIONS like POST; TRACE never.
  assert.equal(bodyOf(await request('DELETE', '/fn/route/a', ['Content-Length: 5'], 'hello')), 'hello');
  assert.equal(bodyOf(await request('OPTIONS', '/fn/route/a', ['Content-Type: text/plain', 'Content-Length: 5'], 'hello')), 'hello');
  assert.equal(bodyOf(await request('TRACE', '/fn/route/a', ['Content-Type: text/plain', 'Content-Length: 5'], 'hello')), undefined);
});

test('a Content-Type that is not type/subtype is 415; a method fastify did not route is still 404', async () => {
  const badType = await request('POST', '/fn/route/a', ['Content-Type: text', 'Content-Length: 5'], 'hello');
  assert.equal(statusOf(badType), 415);
  assert.match(badType, /"code":"BWK_E_GATEWAY_UNSUPPORTED_MEDIA_TYPE"/);
  assert.equal(statusOf(await request('POST', '/fn/route/a', ['Content-Type: text/plain; charset="a;b"', 'Content-Length: 5'], 'hello')), 200);
  const propfind = await request('PROPFIND', '/fn/route/a', []);
  assert.equal(statusOf(propfind), 404);
  assert.match(propfind, /"code":"BWK_E_GATEWAY_NOT_FOUND"/);
});

test('a Content-Length over the limit is 413 before any of the body is read, and the connection closes', async () => {
  const answer = await raw(['POST /fn/route/a HTTP/1.1', 'Host: x', `Authorization: Bearer ${tp.adminKey}`, 'Content-Type: text/plain', 'Content-Length: 5000', '', ''].join('\r\n'));
  assert.equal(statusOf(answer), 413);
  assert.match(answer, /"code":"BWK_E_GUARD_BODY_TOO_LARGE"/);
  assert.match(answer, /\r\nconnection: close\r\n/i);
  assert.match(answer, /\r\nx-request-id: [0-9a-f-]{36}\r\n/);
});

test('a path the router could not read is 400 in the one shape: bad percent-encoding, an over-long name', async () => {
  const bad = await request('GET', '/fn/route/%E0%A4%A', []);
  assert.equal(statusOf(bad), 400);
  assert.match(bad, /"code":"BWK_E_GATEWAY_BAD_REQUEST".*not validly encoded/);
  const long = await request('GET', `/fn/${'a'.repeat(1025)}/x`, []);
  assert.equal(statusOf(long), 400);
  assert.match(long, /a path segment is too long/);
  assert.equal(statusOf(await request('GET', `/fn/${'a'.repeat(1024)}/x`, [])), 404, 'at the limit it reaches the route table');
  assert.equal(statusOf(await request('GET', `/fn/${'%61'.repeat(1024)}/x`, [])), 404, 'the length is the decoded name\'s');
});

test('a 204 goes out without a body, a Content-Type or a Content-Length; a 200 with its length', async () => {
  const empty = await request('GET', '/fn/status/?status=204', []);
  assert.equal(statusOf(empty), 204);
  const head = empty.slice(0, empty.indexOf('\r\n\r\n'));
  assert.doesNotMatch(head, /\r\ncontent-length:/i);
  assert.doesNotMatch(head, /\r\ncontent-type:/i);
  assert.equal(empty.slice(empty.indexOf('\r\n\r\n') + 4), '');
  const full = await request('GET', '/fn/status/?status=200', []);
  assert.match(full, /\r\ncontent-length: 5\r\n/i);
  assert.ok(full.endsWith('\r\n\r\nabcde'));
});

test('one access-log line per answered request, with the function and the caller', async () => {
  const answer = await request('GET', '/fn/route/logged?token=secret-in-query', []);
  const id = /\r\nx-request-id: ([0-9a-f-]{36})\r\n/i.exec(answer)![1]!;
  const lines = (await tp.expectLog([id, '"msg":"request"'])).split('\n').filter((l) => l.includes(id) && l.includes('"msg":"request"'));
  assert.equal(lines.length, 1);
  const line = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.equal(line.status, 200);
  assert.equal(line.path, '/fn/route/logged');
  assert.equal(line.function, 'route');
  assert.match(String(line.actor), /^key:/);
  assert.equal(typeof line.ms, 'number');
});

/** Resolves once a new connection to `port` is refused: the server has stopped listening. */
async function listenerClosed(port: number): Promise<void> {
  for (;;) {
    const refused = await new Promise<boolean>((resolve) => {
      const sock = connect(port, '127.0.0.1', () => { sock.destroy(); resolve(false); });
      sock.on('error', () => resolve(true));
    });
    if (refused) return;
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('a request arriving on a busy connection once the gateway is stopping is 503 in the one shape, on every route', async () => {
  const own = await startTestPlatform();
  try {
    assert.equal((await own.deployFiles({ 'bulwark.yaml': manifest('slow', ['{ method: GET, path: / }']), 'index.mjs': echoHandler })).status, 201);
    const get = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${own.adminKey}\r\n\r\n`;
    let stop!: () => void;
    const stopping = new Promise<void>((resolve) => { stop = resolve; });
    let started = 0;
    /** A connection busy with a slow invocation; `then` is written on it once the server stopped listening. */
    const busy = (then: string) => new Promise<string>((resolve, reject) => {
      let answer = '';
      const sock = connect(own.port, '127.0.0.1', () => {
        sock.write(get('/fn/slow/?sleep=1500'));
        started++;
      });
      sock.on('data', (d) => (answer += d));
      sock.on('error', reject);
      sock.on('close', () => resolve(answer));
      void stopping.then(() => sock.write(then));
    });
    const answers = Promise.all([busy(get('/fn/slow/')), busy(get('/healthz'))]);
    // Both first requests are running (their connections busy, so the stop does not close them)
    // before the stop begins; the second requests go once the server has stopped listening.
    while (started < 2) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 300));
    const closing = own.close();
    await listenerClosed(own.port);
    stop();
    for (const both of await answers) {
      const [first, second] = both.split(/(?=HTTP\/1\.1 )/);
      assert.equal(statusOf(first!), 200, 'the request in flight is answered');
      assert.equal(statusOf(second!), 503);
      assert.match(second!, /\{"error":\{"code":"BWK_E_GATEWAY_STOPPING","message":"[^"]+","requestId":"[0-9a-f-]{36}"\}\}$/);
      assert.match(second!, /\r\nconnection: close\r\n/i);
    }
    await closing;
  } finally {
    await own.close();
  }
});
