// Abuse that is not an escape but would hurt the gateway or the next caller, with real workers: output
// and forged `denied` frames or partial frames while idle, CPU burnt after the handler returned (also
// between frequent calls), scratch written past its quota (also through unlinked files), oversized log
// lines and errors, a bundle whose load never ends or repeats `loading`, and a worker outliving a
// SIGKILLed gateway. Each attack must be stopped and the provider must keep serving; honest output
// racing the result frame must not count as abuse.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { randomBytes } from 'node:crypto';
import { defaultConfig } from '../../../config.ts';
import { event20, request, startFixture, type Fixture } from './sandbox.fixture.ts';
import { IDLE_OUTPUT_LINES, LOAD_TIMEOUT_MS, MAX_DENIED_FRAMES } from './worker.ts';

async function until<T>(ms: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined || Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
}

const me = `const me = Math.random();`;

/**
 * Open a scratch file, unlink it and keep writing through the descriptor: no directory lists it, so only
 * the /proc/<pid>/fd accounting sees it. Also: a descriptor kept past the invocation replaces the worker.
 */
async function unlinkedScratchFile(f: Fixture): Promise<void> {
  const t = await f.target(`import fs from 'node:fs'; import path from 'node:path'; ${me} let kept;
    export const handler = async (e, ctx) => {
      const { mib, keep } = JSON.parse(e.body);
      const file = path.join(ctx.tmpdir, 'hidden');
      const fd = fs.openSync(file, 'w');
      fs.unlinkSync(file);
      const chunk = Buffer.alloc(1024 * 1024, 7);
      for (let i = 0; i < mib; i++) { fs.writeSync(fd, chunk); if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1)); }
      if (keep) kept = fd; else fs.closeSync(fd);
      return { me, wrote: mib };
    };`, { limits: { memoryMb: 32, timeoutMs: 20_000, concurrency: 1 } });
  const honest = JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 8 })))).body);
  assert.equal(honest.wrote, 8);
  assert.equal(JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 8 })))).body).me, honest.me, 'a closed unlinked file costs nothing later');
  const req = request(event20({ mib: 1024 }));
  await assert.rejects(f.sandbox.invoke(t, req), { code: 'BWK_E_SANDBOX_MEMORY' });
  const e = await until(2000, () => f.events.find((x) => x.type === 'sandbox.memory-exceeded' && x.requestId === req.requestId));
  assert.ok(e, 'no memory-exceeded event');
  assert.match(String(e.detail?.why), /unlinked files held open/);
  // Kept open past the invocation: data the next invocation could read, so the worker is replaced.
  const kept = JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 1, keep: true })))).body);
  const replaced = await until(3000, async () => {
    const logs = await f.store.logs.query({ function: t.name, limit: 50 });
    return logs.find((l) => /unlinked scratch file is still open/.test(l.message));
  });
  assert.ok(replaced, 'the worker holding the file was not replaced');
  assert.notEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 1 })))).body).me, kept.me, 'a new worker serves');
}

describe('abuse between and around invocations (permission-only: the weakest mode)', () => {
  let f: Fixture;
  before(async () => { f = await startFixture('permission-only'); });
  after(async () => { await f.close(); });

  test('stdout flooded by a timer after the handler returned: the worker is killed, the log stays bounded', async () => {
    const t = await f.target(`${me} export const handler = async (e) => {
      if (JSON.parse(e.body).flood) setInterval(() => process.stdout.write('x'.repeat(16 * 1024) + '\\n'), 1);
      return { me };
    };`, { limits: { concurrency: 1 } });
    const first = JSON.parse((await f.sandbox.invoke(t, request(event20({ flood: true })))).body).me;
    const e = await until(5000, () => f.events.find((x) => x.type === 'sandbox.protocol-violation' && x.function === t.name));
    assert.ok(e, 'no protocol-violation event for the idle flood');
    assert.match(String(e.detail?.why), /output while no invocation runs/);
    await new Promise((r) => setTimeout(r, 200));
    const logs = await f.store.logs.query({ function: t.name, limit: 5000 });
    assert.ok(logs.length <= IDLE_OUTPUT_LINES + 5, `${logs.length} log lines kept from an idle flood`);
    const next = JSON.parse((await f.sandbox.invoke(t, request(event20({ flood: false })))).body).me;
    assert.notEqual(next, first, 'a new worker serves');
  });

  test('forged denied frames while idle are a protocol violation, not a stream of security events', async () => {
    const t = await f.target(`import fs from 'node:fs'; ${me} export const handler = async (e) => {
      if (JSON.parse(e.body).forge) setTimeout(() => { for (let i = 0; i < 5000; i++) { try { fs.writeSync(3, '{"t":"denied","what":"forged"}\\n'); } catch {} } }, 20);
      return { me };
    };`, { limits: { concurrency: 1 } });
    const first = JSON.parse((await f.sandbox.invoke(t, request(event20({ forge: true })))).body).me;
    const e = await until(5000, () => f.events.find((x) => x.type === 'sandbox.protocol-violation' && x.function === t.name));
    assert.ok(e, 'no protocol-violation event for forged frames');
    assert.match(String(e.detail?.why), /no invocation runs/);
    assert.equal(f.events.filter((x) => x.type === 'sandbox.permission-denied' && x.function === t.name).length, 0);
    assert.notEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ forge: false })))).body).me, first);
  });

  test('forged denied frames during an invocation: a few are taken, more kill the worker (BWK_E_BROKER_PROTOCOL)', async () => {
    const t = await f.target(`import fs from 'node:fs'; export const handler = async () => {
      for (let i = 0; i < 1000; i++) fs.writeSync(3, '{"t":"denied","what":"forged"}\\n');
      await new Promise((r) => setTimeout(r, 500));
      return 'survived';
    };`);
    const req = request();
    await assert.rejects(f.sandbox.invoke(t, req), { code: 'BWK_E_BROKER_PROTOCOL' });
    const denials = f.events.filter((x) => x.type === 'sandbox.permission-denied' && x.requestId === req.requestId);
    assert.ok(denials.length <= MAX_DENIED_FRAMES, `${denials.length} permission-denied events`);
  });

  test('an honest function touching closed built-ins many times is served, with at most a few events', async () => {
    const t = await f.target(`export const handler = async () => {
      let refused = 0;
      for (let i = 0; i < 50; i++) { try { process.getBuiltinModule('node:net'); } catch { refused++; } }
      return { refused };
    };`);
    const req = request();
    assert.deepEqual(JSON.parse((await f.sandbox.invoke(t, req)).body), { refused: 50 });
    const denials = f.events.filter((x) => x.type === 'sandbox.permission-denied' && x.requestId === req.requestId);
    assert.ok(denials.length >= 1 && denials.length <= MAX_DENIED_FRAMES, `${denials.length} permission-denied events`);
  });

  test('CPU burnt after the handler returned: the idle worker is killed and replaced; a quiet one is kept', async () => {
    const spin = await f.target(`${me} export const handler = async (e) => {
      if (JSON.parse(e.body).spin) setTimeout(() => { for (;;) {} }, 10);
      return { me };
    };`, { limits: { concurrency: 1 } });
    const quiet = await f.target(`${me} let ticks = 0; setInterval(() => { ticks++; }, 5); export const handler = async () => ({ me });`, { limits: { concurrency: 1 } });
    const quietFirst = JSON.parse((await f.sandbox.invoke(quiet, request())).body).me;
    const first = JSON.parse((await f.sandbox.invoke(spin, request(event20({ spin: true })))).body).me;
    const e = await until(6000, () => f.events.find((x) => x.type === 'sandbox.timeout' && x.function === spin.name));
    assert.ok(e, 'no event for a worker spinning while idle');
    assert.equal(e.detail?.idle, true);
    assert.notEqual(JSON.parse((await f.sandbox.invoke(spin, request(event20({ spin: false })))).body).me, first, 'a new worker serves');
    // The quiet worker (a 5 ms timer doing nothing) lived through the same idle ticks.
    assert.equal(JSON.parse((await f.sandbox.invoke(quiet, request())).body).me, quietFirst);
  });

  test('scratch written past the quota (limits.memory) is BWK_E_SANDBOX_MEMORY with a memory-exceeded event', async () => {
    const t = await f.target(`import fs from 'node:fs'; import path from 'node:path';
      export const handler = async (e, ctx) => {
        const { mib } = JSON.parse(e.body);
        const chunk = Buffer.alloc(1024 * 1024, 7);
        const fd = fs.openSync(path.join(ctx.tmpdir, 'fill'), 'w');
        for (let i = 0; i < mib; i++) { fs.writeSync(fd, chunk); if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1)); }
        fs.closeSync(fd);
        return { wrote: mib };
      };`, { limits: { memoryMb: 32, timeoutMs: 20_000 } });
    assert.deepEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 8 })))).body), { wrote: 8 });
    const req = request(event20({ mib: 256 }));
    await assert.rejects(f.sandbox.invoke(t, req), { code: 'BWK_E_SANDBOX_MEMORY' });
    const e = await until(2000, () => f.events.find((x) => x.type === 'sandbox.memory-exceeded' && x.requestId === req.requestId));
    assert.ok(e);
    assert.match(String(e.detail?.why), /scratch/);
    assert.deepEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ mib: 1 })))).body), { wrote: 1 });
  });

  test('a flood of empty scratch files is charged per entry: past the quota it is BWK_E_SANDBOX_MEMORY', async () => {
    // Tens of thousands of entries: far more than a tick walks synchronously, so the thread-pool walk
    // counts them until a tmpdir's size alone (on tmpfs, 20 bytes per entry) shows them over the quota.
    const t = await f.target(`import fs from 'node:fs'; import path from 'node:path';
      export const handler = async (e, ctx) => {
        const { files } = JSON.parse(e.body);
        for (let i = 0; i < files; i++) {
          fs.writeFileSync(path.join(ctx.tmpdir, 'f' + i), '');
          if (i % 16 === 0) await new Promise((r) => setTimeout(r, 1));
        }
        return { wrote: files };
      };`, { limits: { memoryMb: 32, timeoutMs: 20_000 } });
    assert.deepEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ files: 200 })))).body), { wrote: 200 });
    const req = request(event20({ files: 60_000 }));
    await assert.rejects(f.sandbox.invoke(t, req), { code: 'BWK_E_SANDBOX_MEMORY' });
    const e = await until(2000, () => f.events.find((x) => x.type === 'sandbox.memory-exceeded' && x.requestId === req.requestId));
    assert.ok(e);
    assert.match(String(e.detail?.why), /scratch holds more than/);
  });

  test('oversized console lines, log fields and error messages are cut in the worker, not a protocol error', async () => {
    const t = await f.target(`export const handler = async (e, ctx) => {
      const { mode } = JSON.parse(e.body);
      if (mode === 'throw') throw Object.assign(new Error('E'.repeat(200000)), { name: 'N'.repeat(1000), code: 'C'.repeat(1000) });
      console.log('L'.repeat(100000));
      ctx.log.info('M'.repeat(100000), { big: 'F'.repeat(20000) });
      ctx.log.warn('circular', (() => { const o = {}; o.self = o; return o; })());
      ctx.log.info('not an object', 'just a string');
      // Objects whose toJSON() gives something else: a Date is a string in JSON, this one nothing at all.
      ctx.log.info('a date', new Date(0));
      ctx.log.info('to nothing', { toJSON() { return undefined; } });
      return 'fine';
    };`);
    const req = request(event20({ mode: 'log' }));
    assert.equal((await f.sandbox.invoke(t, req)).body, 'fine');
    const logs = await f.store.logs.query({ function: t.name, requestId: req.requestId, limit: 20 });
    const byStart = (c: string) => logs.find((l) => l.message.startsWith(c));
    assert.ok(byStart('LLLL') && byStart('LLLL')!.message.length < 9 * 1024 && /truncated/.test(byStart('LLLL')!.message));
    const m = byStart('MMMM');
    assert.ok(m && m.message.length < 9 * 1024);
    assert.match(String((m.fields as { truncated?: string }).truncated), /exceed/);
    assert.match(String((byStart('circular')!.fields as { truncated?: string }).truncated), /not JSON-serialisable/);
    assert.deepEqual(byStart('not an object')!.fields, { value: 'just a string' });
    assert.deepEqual(byStart('a date')!.fields, { value: '1970-01-01T00:00:00.000Z' });
    assert.match(String((byStart('to nothing')!.fields as { value?: string }).value), /toJSON/);
    const thrown = request(event20({ mode: 'throw' }));
    await assert.rejects(f.sandbox.invoke(t, thrown), { code: 'BWK_E_SANDBOX_FUNCTION_ERROR' });
    const errLog = (await f.store.logs.query({ function: t.name, requestId: thrown.requestId, limit: 5 })).find((l) => l.level === 'error');
    assert.ok(errLog && errLog.message.startsWith('NNNN') && errLog.message.length < 9 * 1024);
  });

  test(`a bundle whose top-level await never settles fails prepare() with LOAD_FAILED after ${LOAD_TIMEOUT_MS} ms; a retire meanwhile drains`, async () => {
    const t = await f.target(`await new Promise(() => {}); export const handler = async () => 'never ${randomBytes(4).toString('hex')}';`);
    const started = performance.now();
    const prepared = f.sandbox.prepare(t);
    await new Promise((r) => setTimeout(r, 300));
    const bundleFile = join(f.home, 'bundles', `${t.sha256}.mjs`);
    assert.ok(existsSync(bundleFile));
    // The pool is retired while its only worker is still loading: the drain ends with that worker.
    await f.sandbox.retire(t.name);
    await assert.rejects(prepared, { code: 'BWK_E_SANDBOX_LOAD_FAILED' });
    const ms = performance.now() - started;
    assert.ok(ms >= LOAD_TIMEOUT_MS - 100 && ms < LOAD_TIMEOUT_MS + 5000, `load failed after ${ms} ms`);
    const logs = await f.store.logs.query({ function: t.name, limit: 5 });
    assert.ok(logs.some((l) => /did not finish loading/.test(l.message)));
    assert.equal(await until(3000, () => (existsSync(bundleFile) ? undefined : true)), true, 'the drain did not finish');
  });

  test('a bundle repeating the loading frame (to re-arm the load timer) is killed at the second one', async () => {
    const t = await f.target(`import fs from 'node:fs';
      setInterval(() => { try { fs.writeSync(3, '{"t":"loading"}\\n'); } catch {} }, 100);
      await new Promise(() => {}); export const handler = async () => 'never';`);
    const started = performance.now();
    await assert.rejects(f.sandbox.prepare(t), (err: { code?: string; detail?: { why?: string } }) => {
      assert.equal(err.code, 'BWK_E_SANDBOX_LOAD_FAILED');
      assert.match(String(err.detail?.why), /second loading frame/);
      return true;
    });
    assert.ok(performance.now() - started < LOAD_TIMEOUT_MS, 'it waited for the load timeout');
    assert.ok(f.events.some((x) => x.type === 'sandbox.protocol-violation' && x.function === t.name));
  });

  test('scratch filled by top-level code while loading: killed before ready (the watchdog runs from spawn)', async () => {
    const t = await f.target(`import fs from 'node:fs';
      const fd = fs.openSync('fill', 'w'); fs.unlinkSync('fill');
      const chunk = Buffer.alloc(1024 * 1024, 7);
      for (let i = 0; i < 1024; i++) { fs.writeSync(fd, chunk); if (i % 4 === 0) await new Promise((r) => setTimeout(r, 1)); }
      await new Promise(() => {}); export const handler = async () => 'never';`, { limits: { memoryMb: 32 } });
    const started = performance.now();
    await assert.rejects(f.sandbox.prepare(t), { code: 'BWK_E_SANDBOX_LOAD_FAILED' });
    assert.ok(performance.now() - started < LOAD_TIMEOUT_MS, 'it waited for the load timeout');
    const e = await until(2000, () => f.events.find((x) => x.type === 'sandbox.memory-exceeded' && x.function === t.name));
    assert.ok(e, 'no memory-exceeded event');
    assert.match(String(e.detail?.why), /scratch/);
  });

  test('an unlinked scratch file written through a kept descriptor counts against the quota', async () => {
    await unlinkedScratchFile(f);
  });

  test('scratch filled by a timer after the handler returned is stopped within a tick or two, not at the next 1 s check', async () => {
    const t = await f.target(`import fs from 'node:fs'; import path from 'node:path';
      export const handler = async (e, ctx) => {
        const file = path.join(path.dirname(ctx.tmpdir), 'bg');
        setTimeout(() => {
          const fd = fs.openSync(file, 'w'); fs.unlinkSync(file);
          const chunk = Buffer.alloc(1024 * 1024, 7);
          // At most 1 GiB, so a regression cannot fill the machine's /dev/shm.
          for (let mib = 1; mib <= 1024; mib++) { fs.writeSync(fd, chunk); if (mib % 16 === 0) process.stdout.write('wrote ' + mib + '\\n'); }
        }, 100);
        return 'ok';
      };`, { limits: { memoryMb: 32, concurrency: 1 } });
    assert.equal((await f.sandbox.invoke(t, request())).body, 'ok');
    // Over the quota (memory-exceeded) or, when a tick lands before that, holding an unlinked file while idle.
    const stopped = await until(5000, async () => (await f.store.logs.query({ function: t.name, limit: 200 })).find((l) => /^worker replaced: (scratch holds more|an unlinked scratch file)/.test(l.message)));
    assert.ok(stopped, 'the writer was not stopped');
    await new Promise((r) => setTimeout(r, 200));
    const logs = await f.store.logs.query({ function: t.name, limit: 200 });
    const wrote = Math.max(0, ...logs.map((l) => Number(/^wrote (\d+)$/.exec(l.message)?.[1] ?? 0)));
    assert.ok(wrote < 1024, `the whole 1 GiB was written (quota 32 MiB) before the kill`);
  });

  test('stdout written during the invocation is charged to it, not to idle output (400 lines of ~170 B, 30 calls)', async () => {
    const t = await f.target(`${me} export const handler = async () => {
      for (let i = 0; i < 400; i++) process.stdout.write('line ' + String(i).padStart(4, '0') + ' ' + 'o'.repeat(160) + '\\n');
      return { me };
    };`, { limits: { concurrency: 1 } });
    const reqs = Array.from({ length: 30 }, () => request());
    const mes = new Set<number>();
    for (const r of reqs) mes.add(JSON.parse((await f.sandbox.invoke(t, r)).body).me);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual(f.events.filter((x) => x.function === t.name), [], 'no protocol violation or other event');
    assert.equal(mes.size, 1, 'the worker was replaced');
    const last = await f.store.logs.query({ function: t.name, requestId: reqs.at(-1)!.requestId, limit: 1000 });
    assert.equal(last.length, 400, 'the output is attributed to its invocation');
  });

  test('a background spin between frequent cheap calls is judged on idle CPU only and replaced', async () => {
    const t = await f.target(`${me} let started = false; export const handler = async () => {
      if (!started) { started = true; setInterval(() => { const end = Date.now() + 200; while (Date.now() < end); }, 0); }
      return { me };
    };`, { limits: { concurrency: 1, timeoutMs: 5000 } });
    const first = JSON.parse((await f.sandbox.invoke(t, request())).body).me;
    let e: (typeof f.events)[number] | undefined;
    for (let i = 0; i < 12 && !e; i++) {
      await new Promise((r) => setTimeout(r, 700));
      await f.sandbox.invoke(t, request());
      e = f.events.find((x) => x.type === 'sandbox.timeout' && x.function === t.name);
    }
    assert.ok(e, 'the spinning worker was never replaced');
    assert.equal(e.detail?.idle, true);
    assert.notEqual(JSON.parse((await f.sandbox.invoke(t, request())).body).me, first, 'a new worker serves');
  });

  test('part of a frame written to fd 3 while idle is a protocol violation, not buffered', async () => {
    const t = await f.target(`import fs from 'node:fs'; ${me} export const handler = async (e) => {
      if (JSON.parse(e.body).dribble) {
        const chunk = '{"t":"result","id":"' + 'x'.repeat(64 * 1024);
        let sent = 0;
        const timer = setInterval(() => { try { sent += fs.writeSync(3, chunk); } catch {} if (sent > 30 * 1024 * 1024) clearInterval(timer); }, 1);
      }
      return { me };
    };`, { limits: { concurrency: 1 } });
    const first = JSON.parse((await f.sandbox.invoke(t, request(event20({ dribble: true })))).body).me;
    const e = await until(5000, () => f.events.find((x) => x.type === 'sandbox.protocol-violation' && x.function === t.name));
    assert.ok(e, 'no protocol-violation event');
    assert.match(String(e.detail?.why), /no invocation runs|after the invocation ended/);
    assert.notEqual(JSON.parse((await f.sandbox.invoke(t, request(event20({ dribble: false })))).body).me, first, 'a new worker serves');
  });
});

describe('retire drains; bundles go with their last pool', () => {
  let f: Fixture;
  before(async () => { f = await startFixture('auto'); });
  after(async () => { await f.close(); });

  test('a slow invocation in flight (and one queued behind it) during a redeploy completes', async () => {
    const t = await f.target(`export const handler = async () => { await new Promise((r) => setTimeout(r, 800)); return 'done'; };`,
      { manifest: { name: 'slow' }, limits: { concurrency: 1, queue: 2, timeoutMs: 5000 } });
    await f.sandbox.prepare(t);
    const calls = [request(), request()].map((r) => ({ r, p: f.sandbox.invoke(t, r) }));
    await new Promise((r) => setTimeout(r, 200));
    await f.sandbox.retire('slow', 2);
    for (const { p } of calls) assert.equal((await p).body, 'done');
    assert.deepEqual(f.events.filter((e) => e.function === 'slow'), [], 'no crash or other event');
  });

  test('auto isolation: an unlinked scratch file through a kept descriptor counts against the quota', async () => {
    await unlinkedScratchFile(f);
  });

  test('the bundle file is deleted when no pool uses its sha256 any more', async () => {
    const source = `export const handler = async () => 'twin ${randomBytes(4).toString('hex')}';`;
    const a = await f.target(source, { manifest: { name: 'twin-a' } });
    const b = await f.target(source, { manifest: { name: 'twin-b' } });
    assert.equal(a.sha256, b.sha256);
    const file = join(f.home, 'bundles', `${a.sha256}.mjs`);
    await f.sandbox.invoke(a, request());
    await f.sandbox.invoke(b, request());
    assert.ok(existsSync(file));
    await f.sandbox.retire('twin-a');
    await new Promise((r) => setTimeout(r, 300));
    assert.ok(existsSync(file), 'twin-b still uses the bundle');
    await f.sandbox.retire('twin-b');
    assert.equal(await until(3000, () => (existsSync(file) ? undefined : true)), true, 'bundle still on disk');
    // And it comes back from the store when needed again.
    assert.match((await f.sandbox.invoke(a, request())).body, /^twin /);
  });
});

test('permission-only: a worker spinning when the gateway is SIGKILLed dies with it (PR_SET_PDEATHSIG)', async () => {
  const dir = join(tmpdir(), `bwk-orphan-${randomBytes(6).toString('hex')}`);
  const script = `${dir}.ts`;
  await writeFile(script, `
    import { startFixture, request } from ${JSON.stringify(new URL('./sandbox.fixture.ts', import.meta.url).pathname)};
    const f = await startFixture('permission-only');
    const t = await f.target("export const handler = async () => { setTimeout(() => { for (;;) {} }, 20); return String(process.pid); };");
    const r = await f.sandbox.invoke(t, request());
    process.stdout.write(JSON.stringify({ pid: Number(r.body), home: f.home }) + '\\n');
    setInterval(() => {}, 1000);
  `);
  const gateway = spawn(process.execPath, [script], { stdio: ['ignore', 'pipe', 'inherit'] });
  let worker: { pid: number; home: string } | undefined;
  try {
    let out = '';
    gateway.stdout!.setEncoding('utf8').on('data', (s: string) => { out += s; });
    worker = await until(20_000, () => (out.includes('\n') ? JSON.parse(out.split('\n')[0]!) as { pid: number; home: string } : undefined));
    assert.ok(worker, 'the stand-in gateway did not report its worker');
    const stat = await readFile(`/proc/${worker.pid}/stat`, 'utf8');
    assert.equal(Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]), gateway.pid, 'the worker is a child of the gateway');
    await new Promise((r) => setTimeout(r, 100)); // spinning now
    gateway.kill('SIGKILL');
    // Gone, or a zombie waiting for whoever reaps orphans here: either way it no longer runs.
    const gone = await until(5000, async () => {
      const s = await readFile(`/proc/${worker!.pid}/stat`, 'utf8').catch(() => '');
      return s === '' || s.slice(s.lastIndexOf(')') + 2).startsWith('Z') ? true : undefined;
    });
    assert.equal(gone, true, `worker ${worker.pid} outlived the gateway`);
  } finally {
    gateway.kill('SIGKILL');
    if (worker && existsSync(`/proc/${worker.pid}`)) process.kill(worker.pid, 'SIGKILL');
    await rm(script, { force: true });
    if (worker) {
      await rm(defaultConfig(worker.home).sandbox.scratchDir, { recursive: true, force: true });
      await rm(worker.home, { recursive: true, force: true });
    }
  }
});
