// Acceptance: a deployed function abusing the runtime without escaping it, over real HTTP against a real
// gateway in the weakest isolation mode (permission-only). A timer flooding stdout or forging `denied`
// frames on fd 3 after the handler returned is stopped (the gateway log and the security-event stream stay
// bounded, /healthz keeps answering); a Host header cannot rewrite the path a fetch-shaped function sees;
// oversized output is cut, not a protocol error; scratch past its quota is BWK_E_SANDBOX_MEMORY; a redeploy
// lets an invocation in flight finish with 200; a bundle whose load never settles is rejected with 422; and
// `rm` leaves no bundle file behind.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { request as httpRequest } from 'node:http';
import { existsSync } from 'node:fs';
import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { assertError, manifest as testManifest, startTestPlatform, writeFunction, type TestPlatform } from '../support/platform.ts';

const manifest = (name: string, limits = 'timeout: 5s, memory: 64MB, concurrency: 1', method = 'GET') =>
  testManifest(name, [`{ method: ${method}, path: / }`], [`limits: { ${limits} }`]);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('runtime abuse (isolation: permission-only)', () => {
  let p: TestPlatform;
  const dirs: string[] = [];

  async function deploy(name: string, source: string, limits?: string): Promise<string> {
    const dir = await writeFunction({ 'bulwark.yaml': manifest(name, limits), 'index.mjs': source });
    dirs.push(dir);
    const answer = await p.deployRaw(dir);
    assert.equal(answer.status, 201, answer.text);
    return answer.json.sha256 as string;
  }

  async function healthy(): Promise<void> {
    const h = await p.request('GET', '/healthz');
    assert.equal(h.status, 200);
  }

  before(async () => {
    p = await startTestPlatform({ overrides: { isolation: 'permission-only' } });
  });

  after(async () => {
    await p?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('stdout flooded by a timer after the handler returned: worker killed, gateway log bounded', async () => {
    await deploy('flooder', `export const handler = async () => {
      setInterval(() => process.stdout.write('flood'.repeat(3000) + '\\n'), 1);
      return { statusCode: 200, body: 'armed' };
    };`);
    const log = join(p.home, 'logs', 'gateway.log');
    const before = (await stat(log)).size;
    const armed = await p.request('GET', '/fn/flooder', { key: p.adminKey });
    assert.equal(armed.status, 200, armed.text);
    const started = Date.now();
    let event;
    while (!(event = p.events.find((e) => e.type === 'sandbox.protocol-violation' && e.function === 'flooder')) && Date.now() - started < 5000) await sleep(50);
    assert.ok(event, 'no protocol-violation event');
    await healthy();
    await sleep(1000);
    const grown = (await stat(log)).size - before;
    assert.ok(grown < 4 * 1024 * 1024, `gateway.log grew by ${grown} bytes`);
  });

  test('forged denied frames while idle: one protocol violation, no stream of security events', async () => {
    await deploy('forger', `import fs from 'node:fs'; export const handler = async () => {
      setInterval(() => { for (let i = 0; i < 1000; i++) { try { fs.writeSync(3, '{"t":"denied","what":"forged"}\\n'); } catch {} } }, 1);
      return { statusCode: 200, body: 'armed' };
    };`);
    const armed = await p.request('GET', '/fn/forger', { key: p.adminKey });
    assert.equal(armed.status, 200, armed.text);
    await sleep(1500);
    await healthy();
    const mine = p.events.filter((e) => e.function === 'forger');
    assert.equal(mine.filter((e) => e.type === 'sandbox.permission-denied').length, 0);
    assert.ok(mine.some((e) => e.type === 'sandbox.protocol-violation'));
    assert.ok(mine.length < 10, `${mine.length} security events from one forging worker`);
  });

  test('a Host header cannot rewrite the path a fetch-shaped function sees', async () => {
    const dir = await writeFunction({
      'bulwark.yaml': manifest('hosty').replace('index.mjs#handler', 'index.mjs#default'),
      'index.mjs': `export default { async fetch(request) { const u = new URL(request.url); return Response.json({ path: u.pathname, host: u.host, header: request.headers.get('host') }); } };`,
    });
    dirs.push(dir);
    await p.deploy(dir);
    const hostile = 'x/admin/users?';
    const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: p.port, path: '/fn/hosty', headers: { host: hostile, authorization: `Bearer ${p.adminKey}` } }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (s: string) => { body += s; }).on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end();
    });
    // The gateway refuses such a Host outright (400); should it ever serve it, the path is the route's:
    // the bootstrap builds the URL from a fixed origin (process.test.ts proves that part alone).
    if (answer.status === 200) {
      assert.deepEqual(JSON.parse(answer.body), { path: '/', host: 'hosty.bulwark.internal', header: hostile });
    } else {
      assert.equal(answer.status, 400, answer.body);
    }
  });

  test('oversized console output and error messages: cut in the worker, never a protocol error', async () => {
    await deploy('loud', `export const handler = async (event, ctx) => {
      if (event.queryStringParameters?.mode === 'throw') throw new Error('E'.repeat(100000));
      console.log('L'.repeat(100000));
      ctx.log.info('fields', { big: 'F'.repeat(20000) });
      return { statusCode: 200, body: 'said a lot' };
    };`);
    const ok = await p.request('GET', '/fn/loud', { key: p.adminKey });
    assert.equal(ok.status, 200, ok.text);
    assert.equal(ok.text, 'said a lot');
    const thrown = await p.request('GET', '/fn/loud?mode=throw', { key: p.adminKey });
    assertError(thrown, 502, 'BWK_E_SANDBOX_FUNCTION_ERROR', p.secrets);
  });

  test('scratch written past the quota → 502 BWK_E_SANDBOX_MEMORY, gateway alive', async () => {
    await deploy('filler', `import fs from 'node:fs';
      export const handler = async (event, ctx) => {
        const chunk = Buffer.alloc(1024 * 1024, 1);
        const fd = fs.openSync(ctx.tmpdir + '/fill', 'w');
        for (let i = 0; i < 512; i++) { fs.writeSync(fd, chunk); if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1)); }
        return { statusCode: 200, body: 'wrote 512 MiB' };
      };`, 'timeout: 20s, memory: 64MB, concurrency: 1');
    const answer = await p.request('GET', '/fn/filler', { key: p.adminKey });
    assertError(answer, 502, 'BWK_E_SANDBOX_MEMORY', p.secrets);
    await p.expectEvent('sandbox.memory-exceeded', answer.requestId);
    await healthy();
  });

  test('a redeploy while an invocation is in flight: the caller still gets 200, no false crash', async () => {
    const slow = (v: string) => `export const handler = async () => { await new Promise((r) => setTimeout(r, 1500)); return { statusCode: 200, body: '${v}' }; };`;
    await deploy('steady', slow('v1'));
    const inFlight = p.request('GET', '/fn/steady', { key: p.adminKey });
    await sleep(300);
    await deploy('steady', slow('v2'));
    const answer = await inFlight;
    assert.equal(answer.status, 200, answer.text);
    assert.equal(answer.text, 'v1');
    assert.equal(p.events.filter((e) => e.type === 'sandbox.crashed' && e.function === 'steady').length, 0);
    const next = await p.request('GET', '/fn/steady', { key: p.adminKey });
    assert.equal(next.text, 'v2');
  });

  test('rm leaves no bundle file behind', async () => {
    const sha = await deploy('ephemeral', `export const handler = async () => ({ statusCode: 200, body: 'here ${Date.now()}' });`);
    assert.equal((await p.request('GET', '/fn/ephemeral', { key: p.adminKey })).status, 200);
    const file = join(p.home, 'bundles', `${sha}.mjs`);
    assert.ok(existsSync(file));
    const removed = await p.request('DELETE', '/admin/v1/functions/ephemeral', { key: p.adminKey });
    assert.ok(removed.status < 300, removed.text);
    const started = Date.now();
    while (existsSync(file) && Date.now() - started < 3000) await sleep(25);
    assert.equal(existsSync(file), false, 'bundle file still on disk');
  });

  test('a bundle whose top-level await never settles is rejected with 422, after the load timeout', async () => {
    const dir = await writeFunction({ 'bulwark.yaml': manifest('hanger'), 'index.mjs': `await new Promise(() => {}); export const handler = async () => 'never';` });
    dirs.push(dir);
    const answer = await p.deployRaw(dir);
    assertError(answer, 422, 'BWK_E_DEPLOY_REJECTED', p.secrets);
    assert.match(answer.json.error.message, /did not finish loading/);
    await healthy();
  });
});
