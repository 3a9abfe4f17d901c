// The process sandbox with real workers: handler shapes, payload formats, failures and pooling.
// Isolation 'auto' (bubblewrap when this machine has it); escape.test.ts proves each layer separately.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultConfig } from '../../../config.ts';
import { event20, request, startFixture, type Fixture } from './sandbox.fixture.ts';
import { probeIsolation } from './probe.ts';

const event10 = {
  resource: '/items/{id}', path: '/items/7', httpMethod: 'PUT',
  headers: { host: 'fn.example.test', 'content-type': 'text/plain' },
  multiValueHeaders: { host: ['fn.example.test'], 'content-type': ['text/plain'], 'x-multi': ['a', 'b'] },
  queryStringParameters: { q: '2' }, multiValueQueryStringParameters: { q: ['1', '2'] },
  pathParameters: { id: '7' }, requestContext: { httpMethod: 'PUT', requestId: 'r' },
  body: Buffer.from('payload').toString('base64'), isBase64Encoded: true,
};

describe('process sandbox', () => {
  let f: Fixture;
  before(async () => { f = await startFixture('auto'); });
  after(async () => { await f.close(); });

  test('ESM named export, payload 2.0', async () => {
    const t = await f.target(`export const handler = async (event, context) => ({ statusCode: 200, headers: { 'x-fn': context.functionName }, body: JSON.stringify({ path: event.rawPath, id: context.awsRequestId, v: context.functionVersion, left: context.getRemainingTimeInMillis() > 0 }) });`);
    const req = request();
    const r = await f.sandbox.invoke(t, req);
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['x-fn'], t.name);
    assert.deepEqual(JSON.parse(r.body), { path: '/hello', id: req.requestId, v: '1', left: true });
  });

  test('CommonJS exports.handler bundled to ESM, payload 1.0', async () => {
    const t = await f.target(
      `exports.handler = async (event) => ({ statusCode: 200, multiValueHeaders: { 'x-q': event.multiValueQueryStringParameters.q }, body: event.httpMethod + ' ' + event.pathParameters.id });`,
      { file: 'index.cjs', manifest: { runtime: { payloadFormat: '1.0', allowCodeGeneration: false } } as never },
    );
    const r = await f.sandbox.invoke(t, request(event10));
    assert.equal(r.body, 'PUT 7');
    assert.equal(r.headers['x-q'], '1, 2');
  });

  test('payload 2.0 shorthand: a returned object becomes a JSON 200', async () => {
    const t = await f.target(`export const handler = async (event) => ({ echo: JSON.parse(event.body) });`);
    const r = await f.sandbox.invoke(t, request(event20({ hi: 'there' })));
    assert.equal(r.statusCode, 200);
    assert.equal(r.headers['content-type'], 'application/json');
    assert.deepEqual(JSON.parse(r.body), { echo: { hi: 'there' } });
  });

  test('Web fetch shape, payload 2.0: event -> Request, Response -> result', async () => {
    const t = await f.target(
      `export default { async fetch(request) {
        const u = new URL(request.url);
        const h = new Headers({ 'content-type': 'application/json' });
        h.append('set-cookie', 'a=1'); h.append('set-cookie', 'b=2');
        return new Response(JSON.stringify({ m: request.method, url: u.pathname + u.search, host: request.headers.get('host'), body: await request.json() }), { status: 201, headers: h });
      } };`,
      { manifest: { handler: { file: 'index.mjs', export: 'default' } } },
    );
    const r = await f.sandbox.invoke(t, request(event20({ x: 1 })));
    assert.equal(r.statusCode, 201);
    assert.deepEqual(r.cookies, ['a=1', 'b=2']);
    assert.deepEqual(JSON.parse(r.body), { m: 'POST', url: '/hello?a=1', host: 'fn.example.test', body: { x: 1 } });
  });

  test('Web fetch shape: the Host header cannot change the URL the function sees', async () => {
    const source = `export default { async fetch(request) {
      const u = new URL(request.url);
      return Response.json({ host: u.host, path: u.pathname, search: u.search, header: request.headers.get('host') });
    } };`;
    const v2 = await f.target(source, { manifest: { handler: { file: 'index.mjs', export: 'default' } } });
    const v1 = await f.target(source, { manifest: { handler: { file: 'index.mjs', export: 'default' }, runtime: { payloadFormat: '1.0', allowCodeGeneration: false } } });
    for (const host of ['x/admin/users?', 'evil.example/admin#', 'user@evil.example', 'evil.example:1/admin?x=']) {
      const r2 = await f.sandbox.invoke(v2, request(event20({}, { headers: { host, 'content-type': 'application/json' } })));
      assert.deepEqual(JSON.parse(r2.body), { host: `${v2.name}.bulwark.internal`, path: '/hello', search: '?a=1', header: host });
      const r1 = await f.sandbox.invoke(v1, request({ ...event10, headers: { host }, multiValueHeaders: { host: [host] } }));
      assert.deepEqual(JSON.parse(r1.body), { host: `${v1.name}.bulwark.internal`, path: '/items/7', search: '?q=1&q=2', header: host });
    }
  });

  test('Web fetch shape, payload 1.0, binary response', async () => {
    const t = await f.target(
      `export default { async fetch(request) {
        const u = new URL(request.url);
        const text = await request.text();
        return new Response(new Uint8Array([0, 1, 2, 255]), { headers: { 'content-type': 'application/octet-stream', 'x-echo': request.method + ' ' + u.pathname + u.search + ' ' + text + ' ' + request.headers.get('x-multi') } });
      } };`,
      { manifest: { handler: { file: 'index.mjs', export: 'default' }, runtime: { payloadFormat: '1.0', allowCodeGeneration: false } } },
    );
    const r = await f.sandbox.invoke(t, request(event10));
    assert.equal(r.isBase64Encoded, true);
    assert.deepEqual([...Buffer.from(r.body, 'base64')], [0, 1, 2, 255]);
    assert.equal(r.headers['x-echo'], 'PUT /items/7?q=1&q=2 payload a, b');
  });

  test('a thrown error is FUNCTION_ERROR; the stack is only in the function log', async () => {
    const t = await f.target(`export const handler = async () => { throw new Error('boom at /srv/secret/path'); };`);
    const req = request();
    await assert.rejects(f.sandbox.invoke(t, req), (err: Error & { code: string }) => {
      assert.equal(err.code, 'BWK_E_SANDBOX_FUNCTION_ERROR');
      assert.doesNotMatch(err.message, /boom|secret|at /);
      return true;
    });
    const logs = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 10 });
    assert.ok(logs.some((l) => l.level === 'error' && /boom at \/srv\/secret\/path/.test(l.message) && /\n\s+at /.test(l.message)));
  });

  test('payload 1.0 without statusCode and non-serialisable results are BAD_RESPONSE', async () => {
    const t1 = await f.target(`export const handler = async () => 'just a string';`, { manifest: { runtime: { payloadFormat: '1.0', allowCodeGeneration: false } } });
    await assert.rejects(f.sandbox.invoke(t1, request(event10)), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' });
    const t2 = await f.target(`export const handler = async () => ({ n: 10n });`);
    await assert.rejects(f.sandbox.invoke(t2, request()), { code: 'BWK_E_SANDBOX_BAD_RESPONSE' });
  });

  test('a bundle that fails to import, or lacks the export, fails prepare() with LOAD_FAILED', async () => {
    const broken = await f.target(`throw new Error('import-time failure'); export const handler = 1;`);
    await assert.rejects(f.sandbox.prepare(broken), { code: 'BWK_E_SANDBOX_LOAD_FAILED' });
    const missing = await f.target(`export const other = async () => 1;`);
    await assert.rejects(f.sandbox.prepare(missing), { code: 'BWK_E_SANDBOX_LOAD_FAILED' });
    const logs = await f.store.logs.query({ function: broken.name, limit: 5 });
    assert.ok(logs.some((l) => /import-time failure/.test(l.message)));
  });

  test('an infinite loop times out within timeout + slack and the worker is replaced', async () => {
    const t = await f.target(
      `const me = Math.random(); export const handler = async (e) => { if (JSON.parse(e.body).spin) for (;;) {} return { me }; };`,
      { limits: { timeoutMs: 500, concurrency: 1 } },
    );
    const before = JSON.parse((await f.sandbox.invoke(t, request(event20({ spin: false })))).body).me;
    const started = performance.now();
    await assert.rejects(f.sandbox.invoke(t, request(event20({ spin: true }))), { code: 'BWK_E_SANDBOX_TIMEOUT' });
    assert.ok(performance.now() - started < 500 + 1500, 'timed out late');
    const afterMe = JSON.parse((await f.sandbox.invoke(t, request(event20({ spin: false })))).body).me;
    assert.notEqual(afterMe, before);
    assert.ok(f.events.some((e) => e.type === 'sandbox.timeout' && e.function === t.name));
  });

  test('allocation bombs (V8 heap and Buffers) are MEMORY errors and the provider keeps serving', async () => {
    const heap = await f.target(`export const handler = async () => { const a = []; for (;;) a.push({ s: 'x'.repeat(64) + Math.random() }); };`, { limits: { memoryMb: 48, timeoutMs: 20_000 } });
    await assert.rejects(f.sandbox.invoke(heap, request()), { code: 'BWK_E_SANDBOX_MEMORY' });
    const buffers = await f.target(`export const handler = async () => { const a = []; for (;;) { a.push(Buffer.alloc(8 * 1024 * 1024, 1)); await new Promise((r) => setImmediate(r)); } };`, { limits: { memoryMb: 48, timeoutMs: 20_000 } });
    await assert.rejects(f.sandbox.invoke(buffers, request()), { code: 'BWK_E_SANDBOX_MEMORY' });
    assert.ok(f.events.some((e) => e.type === 'sandbox.memory-exceeded'));
    const ok = await f.target(`export const handler = async () => 'alive';`);
    assert.equal((await f.sandbox.invoke(ok, request())).body, 'alive');
  });

  test('a worker that exits mid-invocation is CRASHED', async () => {
    const t = await f.target(`export const handler = async () => { process.exit(3); };`);
    await assert.rejects(f.sandbox.invoke(t, request()), { code: 'BWK_E_SANDBOX_CRASHED' });
  });

  test('console output and context.log reach the function log, redacted', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => {
      console.log('plain %s', 'line'); console.error('Bearer abcdefghijklmnop');
      ctx.log.warn('structured', { password: 'hunter2', n: 1 });
      process.stdout.write('raw stdout\\n');
      return 'ok'; };`);
    const req = request();
    await f.sandbox.invoke(t, req);
    await new Promise((r) => setTimeout(r, 100)); // raw stdout arrives on its own pipe
    const logs = await f.store.logs.query({ function: t.name, limit: 20 });
    const text = JSON.stringify(logs);
    assert.match(text, /plain line/);
    assert.match(text, /raw stdout/);
    assert.doesNotMatch(text, /hunter2|abcdefghijklmnop/);
    assert.ok(logs.some((l) => l.message === 'structured' && l.level === 'warn' && l.requestId === req.requestId && (l.fields as { n: number }).n === 1));
  });

  test('a log line leaves the worker at the end of its turn, not only with the result', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => {
      ctx.log.info('before the long wait');
      await new Promise((r) => setTimeout(r, 1500));
      return 'ok'; };`);
    const req = request();
    const running = f.sandbox.invoke(t, req);
    let seen = false;
    for (let i = 0; i < 40 && !seen; i++) {
      await new Promise((r) => setTimeout(r, 25));
      const logs = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 5 });
      seen = logs.some((l) => l.message === 'before the long wait');
    }
    assert.ok(seen, 'the line was stored within 1 s, while the invocation still ran');
    await running;
  });

  test('a hundred lines logged in one turn all reach the log (notifications hold no open-call slot)', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => { for (let i = 0; i < 100; i++) console.log('line ' + i); return 'ok'; };`);
    const req = request();
    await f.sandbox.invoke(t, req);
    const logs = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 200 });
    assert.equal(logs.filter((l) => /^line \d+$/.test(l.message)).length, 100);
  });

  test('a held line keeps the time it was logged at, within the invocation', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => {
      ctx.log.info('early');
      const until = Date.now() + 300; while (Date.now() < until) { /* busy: the line stays held */ }
      return 'ok'; };`);
    const req = request();
    const sent = Date.now();
    await f.sandbox.invoke(t, req);
    const done = Date.now();
    const [line] = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 5 });
    const at = Date.parse(line!.at);
    assert.ok(at >= sent - 5 && at <= done - 250, `logged at ${at}, invocation ${sent}..${done}`);
  });

  test('lines held for the next frame are still sent when the function exits the process', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => { ctx.log.warn('last words'); process.exit(3); };`);
    const req = request();
    await assert.rejects(f.sandbox.invoke(t, req), { code: 'BWK_E_SANDBOX_CRASHED' });
    const logs = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 10 });
    assert.ok(logs.some((l) => l.message === 'last words'), JSON.stringify(logs));
  });

  test('beyond concurrency + queue, callers get BWK_E_SANDBOX_POOL_FULL', async () => {
    const t = await f.target(`export const handler = async () => { await new Promise((r) => setTimeout(r, 300)); return 'done'; };`, { limits: { concurrency: 1, queue: 1 } });
    const results = await Promise.allSettled([0, 1, 2].map(() => f.sandbox.invoke(t, request())));
    assert.deepEqual(results.map((r) => r.status), ['fulfilled', 'fulfilled', 'rejected']);
    assert.equal((results[2] as PromiseRejectedResult).reason.code, 'BWK_E_SANDBOX_POOL_FULL');
  });

  test('prepare() of a candidate (version 0) warms the pool the committed version uses; retire stops old pools', async () => {
    const old = await f.target(`const me = Math.random(); export const handler = async () => ({ me, v: 'old' });`, { manifest: { name: 'rolling' }, version: 1 });
    const oldMe = JSON.parse((await f.sandbox.invoke(old, request())).body).me;
    const candidate = await f.target(`const me = Math.random(); export const handler = async () => ({ me, v: 'new' });`, { manifest: { name: 'rolling' }, version: 0 });
    await f.sandbox.prepare(candidate);
    await f.sandbox.retire('rolling', 2); // committed as version 2
    const committed = { ...candidate, version: 2 };
    const first = JSON.parse((await f.sandbox.invoke(committed, request())).body);
    const second = JSON.parse((await f.sandbox.invoke(committed, request())).body);
    assert.equal(first.v, 'new');
    assert.equal(first.me, second.me, 'the prepared worker served both calls');
    // The old version's pool is gone: invoking it again starts a new worker.
    assert.notEqual(JSON.parse((await f.sandbox.invoke(old, request())).body).me, oldMe);
  });
});

describe('isolation: strict', () => {
  test('strict starts exactly when the probe finds bubblewrap working, else BWK_E_CONFIG_ISOLATION_UNAVAILABLE', async () => {
    const report = await probeIsolation({ ...defaultConfig(tmpdir()), isolation: 'auto' });
    const bwrap = report.layers.find((l) => l.name === 'bubblewrap')!;
    let f: Fixture | undefined;
    try {
      f = await startFixture('strict');
      assert.equal(bwrap.active, true, 'strict started although the probe found no bubblewrap');
      assert.equal(f.sandbox.isolation().layers.find((l) => l.name === 'bubblewrap')?.active, true);
    } catch (err) {
      assert.equal((err as { code: string }).code, 'BWK_E_CONFIG_ISOLATION_UNAVAILABLE');
      assert.equal(bwrap.active, false, 'strict refused although bubblewrap works');
    } finally {
      await f?.close();
    }
  });

  test('permission-only never uses bubblewrap and says why', async () => {
    const report = await probeIsolation({ ...defaultConfig(tmpdir()), isolation: 'permission-only' });
    assert.deepEqual(report.layers.find((l) => l.name === 'bubblewrap'), { name: 'bubblewrap', active: false, detail: 'disabled by isolation: permission-only' });
    assert.equal(report.layers.find((l) => l.name === 'node-permission')?.active, true);
    assert.equal(report.layers.find((l) => l.name === 'disallow-code-generation')?.active, true);
    assert.equal(report.layers.find((l) => l.name === 'empty-env')?.active, true);
  });
});

describe('host worker ceiling (sandbox.maxWorkers)', () => {
  let f: Fixture;
  before(async () => { f = await startFixture('auto', (c) => { c.sandbox.maxWorkers = 2; }); });
  after(async () => { await f.close(); });

  const workersOf = (name: string): number => {
    const s = f.sandbox.stats().find((p) => p.function === name);
    return s ? s.busy + s.idle + s.starting : 0;
  };

  test('a pool stops growing at the ceiling; a function with no worker still gets its first', async () => {
    const slow = await f.target(`export const handler = async () => { await new Promise((r) => setTimeout(r, 300)); return 'slow'; };`, { limits: { concurrency: 6, queue: 20 } });
    let most = 0;
    const watch = setInterval(() => { most = Math.max(most, workersOf(slow.name)); }, 5);
    try {
      const first = Array.from({ length: 6 }, () => f.sandbox.invoke(slow, request()));
      // Callers keep queueing, so the pool grows to the ceiling of 2 and no further.
      while (workersOf(slow.name) < 2) await new Promise((r) => setTimeout(r, 10));
      const other = await f.target(`export const handler = async () => ({ statusCode: 200, body: 'other' });`);
      assert.equal((await f.sandbox.invoke(other, request())).body, 'other');
      const more = Array.from({ length: 6 }, () => f.sandbox.invoke(slow, request()));
      for (const r of await Promise.all([...first, ...more])) assert.equal(r.body, 'slow');
    } finally {
      clearInterval(watch);
    }
    assert.equal(most, 2, 'the slow pool never had more than two workers');
  });
});

describe('a worker serving many invocations (the per-invocation TMPDIR)', () => {
  // glibc's setenv(3) keeps every distinct NAME=value it was given: a TMPDIR set per invocation leaked
  // its string each time, ~120 MB per million invocations with the usual short paths, until the watchdog
  // killed the worker as over its memory. A scratch path of ~3 KB (permission-only: the path inside is
  // the host's) makes that ~3 KB an invocation: the old worker was killed within 20,000.
  let f: Fixture;
  let deepRoot: string;
  let deepScratch: string;
  before(async () => {
    deepRoot = await mkdtemp(join(tmpdir(), 'bwk-deep-'));
    deepScratch = join(deepRoot, ...Array.from({ length: 12 }, (_, i) => `${i}`.padEnd(250, 'd')));
    await mkdir(deepScratch, { recursive: true });
    f = await startFixture('permission-only', (c) => { c.sandbox.scratchDir = deepScratch; });
  });
  after(async () => {
    await f.close();
    await rm(deepRoot, { recursive: true, force: true });
  });

  test('TMPDIR and os.tmpdir() follow the tmpdir, and 20,000 invocations on one worker, each setting a new value, do not outgrow its memory limit', async () => {
    const t = await f.target(
      `import os, { tmpdir } from 'node:os';
       const worker = Math.random();
       const atLoad = { env: process.env.TMPDIR, os: os.tmpdir() };
       export const handler = async (e, ctx) => {
         // Lambda's runtimes set a trace id per invocation like this: a new value each time.
         process.env._X_AMZN_TRACE_ID = ctx.tmpdir;
         return {
         worker, atLoad,
         during: { env: process.env.TMPDIR === ctx.tmpdir, os: os.tmpdir() === ctx.tmpdir, named: tmpdir() === ctx.tmpdir, listed: Object.keys(process.env).includes('TMPDIR') },
       }; };`,
      { limits: { concurrency: 1 } },
    );
    const first = JSON.parse((await f.sandbox.invoke(t, request())).body);
    assert.deepEqual(first.atLoad, { os: '/tmp' }, 'no TMPDIR outside an invocation');
    assert.deepEqual(first.during, { env: true, os: true, named: true, listed: true });
    // A worker of this function settles at ~130 MB here, against its limit of 160 (64 MB × 1.5 + 64).
    for (let i = 0; i < 20_000; i++) {
      const out = JSON.parse((await f.sandbox.invoke(t, request())).body);
      assert.equal(out.worker, first.worker, `invocation ${i} ran on a new worker`);
    }
    assert.deepEqual(f.events.filter((e) => e.type.startsWith('sandbox.')), []);
  });

  test('the tmpdir is made the first time the function asks for its path, by any of the three ways', async () => {
    const t = await f.target(
      `import fs from 'node:fs'; import os from 'node:os';
       const readable = (dir) => { try { return fs.readdirSync(dir); } catch { return undefined; } };
       export const handler = async (e, ctx) => {
         // Its own scratch root is the one of the workers' roots it may read (permission-only: host paths).
         const root = JSON.parse(e.body).roots.find((r) => readable(r) !== undefined);
         const before = readable(root);
         const way = JSON.parse(e.body).way;
         const path = way === 'env' ? process.env.TMPDIR : way === 'os' ? os.tmpdir() : ctx.tmpdir;
         return { before, made: fs.existsSync(path), path: path === ctx.tmpdir };
       };`,
      { limits: { concurrency: 1 } },
    );
    await f.sandbox.prepare(t);
    const roots = (await readdir(deepScratch)).map((r) => join(deepScratch, r));
    for (const way of ['env', 'os', 'context']) {
      const out = JSON.parse((await f.sandbox.invoke(t, request(event20({ roots, way })))).body);
      assert.deepEqual(out, { before: [], made: true, path: true }, way);
    }
  });

  test('process.env keeps Node semantics: TZ moves the time zone, values become strings, it prints and cannot be frozen', async () => {
    const t = await f.target(
      `import { inspect } from 'node:util';
       export const handler = async () => {
         process.env.TZ = 'Asia/Tokyo'; const tokyo = new Date(0).getHours(); delete process.env.TZ;
         process.env.PORT = 3000;
         Object.defineProperty(process.env, 'MODE', { value: 1, writable: true, enumerable: true, configurable: true });
         let frozen = true; try { Object.freeze(process.env); } catch { frozen = false; }
         process.env.AFTER = 'x';
         // An inherited setter neither swallows a name nor sees the object behind the proxy.
         let leaked = null;
         Object.defineProperty(Object.prototype, 'LEVEL', { set(v) { leaked = this; }, configurable: true });
         process.env.LEVEL = 'debug';
         const level = process.env.LEVEL;
         delete Object.prototype.LEVEL; delete process.env.LEVEL;
         return { tokyo, utc: new Date(0).getHours(), tz: process.env.TZ ?? null, port: process.env.PORT, mode: process.env.MODE,
           frozen, after: process.env.AFTER, printed: inspect(process.env, { breakLength: Infinity }), spread: { ...process.env }, has: 'PORT' in process.env,
           keys: Reflect.ownKeys(process.env), level, leaked: leaked !== null };
       };`,
    );
    const out = (await f.sandbox.invoke(t, request())).body;
    const tmpdir = JSON.parse(out).spread.TMPDIR as string;
    assert.deepEqual(JSON.parse(out.replaceAll(tmpdir, '<tmpdir>')), {
      tokyo: 9, utc: 0, tz: null, port: '3000', mode: '1', frozen: false, after: 'x',
      printed: "{ TMPDIR: '<tmpdir>', PORT: '3000', MODE: '1', AFTER: 'x' }", spread: { TMPDIR: '<tmpdir>', PORT: '3000', MODE: '1', AFTER: 'x' },
      has: true, keys: ['TMPDIR', 'PORT', 'MODE', 'AFTER'], level: 'debug', leaked: false,
    });
  });
});

describe('shutdown (close)', () => {
  test('an invocation in flight finishes within the grace period; one past it fails as UNAVAILABLE, not as a crash', async () => {
    // Two warm workers: both invocations are running (not waiting for a spawn) when close() begins.
    const f = await startFixture('permission-only', (c) => { c.sandbox.warmWorkers = 2; });
    try {
      const t = await f.target(`export const handler = async (e) => {
        const { ms } = JSON.parse(e.body);
        await new Promise((r) => setTimeout(r, ms));
        return { waited: ms };
      };`, { limits: { concurrency: 2, timeoutMs: 20_000 } });
      await f.sandbox.prepare(t);
      const short = f.sandbox.invoke(t, request(event20({ ms: 300 })));
      const long = f.sandbox.invoke(t, request(event20({ ms: 15_000 }))).then(() => undefined, (err: unknown) => err);
      for (let i = 0; i < 200 && f.sandbox.stats().find((s) => s.function === t.name)?.busy !== 2; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(f.sandbox.stats().find((s) => s.function === t.name)?.busy, 2, 'both invocations run before close()');
      let closed = false;
      const started = performance.now();
      const closing = f.sandbox.close({ graceMs: 1500 }).then(() => { closed = true; });
      // A second close (the platform's other closer) waits for the first, its grace kept.
      let againDone = false;
      const again = f.sandbox.close().then(() => { againDone = true; });
      // The short one is answered although close() began before it ended.
      assert.deepEqual(JSON.parse((await short).body), { waited: 300 });
      assert.equal(closed, false, 'close() waits for the invocation still running');
      assert.equal(againDone, false, 'so does a second close()');
      const err = await long;
      await closing;
      await again;
      // Stopped at the end of the grace period, not when the 15 s invocation would have ended.
      const waited = performance.now() - started;
      assert.ok(waited >= 1400 && waited < 14_000, `close took ${Math.round(waited)} ms for a 1500 ms grace`);
      assert.ok(err instanceof Error && (err as { code?: string }).code === 'BWK_E_SANDBOX_UNAVAILABLE', `got ${String(err)}`);
      assert.match(String((err as { detail?: { why?: string } }).detail?.why), /sandbox closed/);
      assert.deepEqual(f.events.filter((e) => e.type === 'sandbox.crashed'), [], 'a shutdown is not a crash');
      // New work is refused at once.
      await assert.rejects(f.sandbox.invoke(t, request()), { code: 'BWK_E_SANDBOX_UNAVAILABLE' });
    } finally {
      await f.close();
    }
  });
});
