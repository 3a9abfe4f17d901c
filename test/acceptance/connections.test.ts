// Connection-level protection over raw sockets: clients that hold connections open by sending slowly
// (slowloris: headers one at a time; slow POST: the body a byte at a time) or by sending nothing are cut
// off with 408, oversized or too many headers get 431, idle keep-alive connections are closed, and a body
// over the limit is refused while it is still arriving. The limits are small here so the tests are quick;
// the assertions are about what happened (answer, closed socket, how much the client got to send), not
// about how fast.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { echoHandler, manifest, startTestPlatform, type TestPlatform } from '../support/platform.ts';

let tp: TestPlatform;

before(async () => {
  tp = await startTestPlatform({
    overrides: {
      gateway: { headersTimeoutMs: 800, requestTimeoutMs: 2500, keepAliveTimeoutMs: 300, maxHeaderBytes: 4096, maxHeaderCount: 20, maxBodyBytes: 4096 },
    },
  });
  const deployed = await tp.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: ANY, path: / }']), 'index.mjs': echoHandler });
  assert.equal(deployed.status, 201, deployed.text);
});
after(() => tp.close());

interface Exchange {
  /** Everything the server sent before closing. */
  answer: string;
  /** How many of the client's writes went out before the server closed the connection. */
  sent: number;
  /** True when the server closed the connection (the client never does here). */
  closedByServer: boolean;
}

/**
 * Opens a raw connection, writes `first`, then `drip()` every `everyMs` ms up to `drips` times, and
 * resolves when the server closes the connection (or, failing that, 2 s after the last drip).
 */
function dripping(first: string, drip: (i: number) => string, opts: { everyMs: number; drips: number; gateway?: string }): Promise<Exchange> {
  const url = new URL(opts.gateway ?? tp.url);
  return new Promise((resolve, reject) => {
    let answer = '';
    let sent = 0;
    let timer: NodeJS.Timeout | undefined;
    let giveUp: NodeJS.Timeout | undefined;
    const sock: Socket = connect(Number(url.port), url.hostname, () => {
      sock.write(first);
      timer = setInterval(() => {
        if (sent >= opts.drips) {
          clearInterval(timer);
          giveUp = setTimeout(() => { sock.destroy(); resolve({ answer, sent, closedByServer: false }); }, 2000);
          return;
        }
        if (!sock.destroyed && sock.writable) {
          sock.write(drip(sent));
          sent++;
        }
      }, opts.everyMs);
    });
    sock.on('data', (d) => (answer += d));
    sock.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'ECONNRESET' && err.code !== 'EPIPE') reject(err);
    });
    sock.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ answer, sent, closedByServer: true });
    });
  });
}

/** Sends `request` whole and collects the answer until the server closes. */
function once(request: string): Promise<string> {
  const url = new URL(tp.url);
  return new Promise((resolve, reject) => {
    const sock = connect(Number(url.port), url.hostname, () => sock.write(request));
    let out = '';
    sock.on('data', (d) => (out += d));
    sock.on('close', () => resolve(out));
    sock.on('error', reject);
  });
}

test('slowloris: a client dripping header lines is cut off with 408 long before it finishes', async () => {
  const x = await dripping('GET /fn/echo HTTP/1.1\r\nHost: x\r\n', (i) => `X-Drip-${i}: ${'a'.repeat(10)}\r\n`, { everyMs: 100, drips: 200 });
  assert.ok(x.closedByServer, 'the server closed the connection');
  assert.match(x.answer, /^HTTP\/1\.1 408 /);
  assert.match(x.answer, /"code":"BWK_E_GATEWAY_REQUEST_TIMEOUT"/);
  assert.ok(x.sent < 200, `cut off after ${x.sent} of 200 header lines`);
});

test('a connection that sends nothing at all is closed', async () => {
  const x = await dripping('', () => '', { everyMs: 100, drips: 100 });
  assert.ok(x.closedByServer);
  assert.ok(x.sent < 100, `closed after ${x.sent} idle ticks of 100`);
});

test('slow POST: a body trickling in a byte at a time is cut off with 408 before it is complete', async () => {
  const x = await dripping('POST /fn/echo HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n', () => 'a', { everyMs: 50, drips: 1000 });
  assert.ok(x.closedByServer, 'the server closed the connection');
  assert.match(x.answer, /^HTTP\/1\.1 408 /);
  assert.ok(x.sent < 1000, `cut off after ${x.sent} of 1000 body bytes`);
  assert.deepEqual(tp.events.filter((e) => e.type === 'guard.rejected'), [], 'it never got as far as the guards');
});

test('oversized headers and too many header fields → 431 in the error shape', async () => {
  const big = await once(`GET /fn/echo HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(5000)}\r\n\r\n`);
  assert.match(big, /^HTTP\/1\.1 431 /);
  assert.match(big, /"code":"BWK_E_GATEWAY_HEADERS_TOO_LARGE"/);
  const fields = (n: number) => Array.from({ length: n }, (_, i) => `X-F${i}: v\r\n`).join('');
  const many = await once(`GET /fn/echo HTTP/1.1\r\nHost: x\r\n${fields(25)}\r\n`);
  assert.match(many, /^HTTP\/1\.1 431 /);
  assert.match(many, /"code":"BWK_E_GATEWAY_HEADERS_TOO_LARGE"/);
  // At the limit (20 fields, Host and Connection included) the request is served.
  const atLimit = await once(`GET /fn/echo HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer ${tp.adminKey}\r\n${fields(17)}\r\n`);
  assert.match(atLimit, /^HTTP\/1\.1 200 /);
});

test('an idle keep-alive connection is closed by the server after the request it served', async () => {
  const x = await dripping(`GET /fn/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tp.adminKey}\r\n\r\n`, () => '', { everyMs: 100, drips: 100 });
  assert.match(x.answer, /^HTTP\/1\.1 200 /);
  assert.match(x.answer, /keep-alive/i);
  assert.ok(x.closedByServer, 'closed by the server');
  assert.ok(x.sent < 100, `closed after ${x.sent} idle ticks of 100`);
});

test('a chunked body over the limit is refused with 413 while it is still arriving', async () => {
  const chunk = `400\r\n${'a'.repeat(0x400)}\r\n`;
  const x = await dripping(`POST /fn/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${tp.adminKey}\r\nTransfer-Encoding: chunked\r\n\r\n`, () => chunk, { everyMs: 20, drips: 64 });
  assert.match(x.answer, /^HTTP\/1\.1 413 /);
  assert.match(x.answer, /"code":"BWK_E_GUARD_BODY_TOO_LARGE"/);
  assert.ok(x.sent < 64, `refused after ${x.sent} KB of 64`);
});

test('a stopping gateway still holds slow clients to the deadlines, so they cannot hold the stop open', async () => {
  // Its own gateway, since this one is stopped. Node's server.close() stops Node's own deadline checks.
  // headersTimeoutMs well past the moment the stop begins, so Node's own check cannot be what cuts them.
  const stopping = await startTestPlatform({ overrides: { gateway: { headersTimeoutMs: 2000, requestTimeoutMs: 2500, keepAliveTimeoutMs: 300 } } });
  let stop: Promise<void> | undefined;
  try {
    const deployed = await stopping.deployFiles({ 'bulwark.yaml': manifest('echo', ['{ method: ANY, path: / }']), 'index.mjs': echoHandler });
    assert.equal(deployed.status, 201, deployed.text);
    // 6 s of header lines (within the count and size limits), and 6 s of a body that never completes.
    const headers = dripping('GET /fn/echo HTTP/1.1\r\nHost: x\r\n', (i) => `X-Drip-${i}: a\r\n`, { everyMs: 100, drips: 60, gateway: stopping.url });
    const body = dripping(`POST /fn/echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${stopping.adminKey}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`, () => 'a', { everyMs: 50, drips: 120, gateway: stopping.url });
    await new Promise((r) => setTimeout(r, 300));
    stop = stopping.close();
    const [h, b] = await Promise.all([headers, body]);
    assert.ok(h.closedByServer && h.sent < 60, `the header dripper was cut off after ${h.sent} of 60 lines`);
    assert.match(h.answer, /^HTTP\/1\.1 408 [^]*"code":"BWK_E_GATEWAY_REQUEST_TIMEOUT"/);
    // Closed with no answer: see stop-deadlines.ts.
    assert.ok(b.closedByServer && b.sent < 120, `the body dripper was cut off after ${b.sent} of 120 bytes`);
    assert.equal(b.answer, '');
    // Both were cut in time, so the stop ends long before their drips would have.
    const settled = await Promise.race([stop.then(() => 'stopped'), new Promise((r) => setTimeout(() => r('still stopping'), 5000))]);
    assert.equal(settled, 'stopped', 'the stop waited on a slow client');
  } finally {
    await (stop ?? stopping.close());
  }
});
