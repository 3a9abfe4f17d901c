// Real escape attempts from inside a worker, run twice: with bubblewrap (isolation: strict) and with
// the permission model alone (isolation: permission-only), so each layer is proved on its own. Every
// attempt must be denied, the host must show no trace of it, and the provider must keep serving.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { getPriority, tmpdir } from 'node:os';
import type { IsolationMode } from '../../../config.ts';
import { event20, request, startFixture, type Fixture } from './sandbox.fixture.ts';
import { probeIsolation } from './probe.ts';
import { defaultConfig } from '../../../config.ts';

const CANARY = `bwk-canary-${process.pid}`;

// Each attack returns a value only if it got through; a throw is a denial.
const ATTACKS = String.raw`
import fs from 'node:fs';
const attacks = {
  'read /etc/passwd': () => fs.readFileSync('/etc/passwd', 'utf8'),
  'read the gateway sqlite file': (a) => fs.readFileSync(a.home + '/bulwark.sqlite').length,
  'list the gateway data dir': (a) => fs.readdirSync(a.home),
  'write outside the scratch dir': (a) => fs.writeFileSync(a.outside, 'pwned'),
  'read /proc/self/environ': () => fs.readFileSync('/proc/self/environ', 'utf8'),
  'host env var': () => { const v = process.env.BWK_ESCAPE_CANARY; if (v === undefined) throw new Error('absent'); return v; },
  'import node:child_process': async () => (await import('node:child_process')).execSync('id').toString(),
  'require child_process': () => require('child_process').execSync('id').toString(),
  'getBuiltinModule child_process': () => process.getBuiltinModule('node:child_process').execSync('id').toString(),
  'worker_threads': async () => { const { Worker } = await import('node:worker_threads'); new Worker('process.exit(0)', { eval: true }); return 'spawned'; },
  'TCP socket (node:net)': (a) => new Promise((resolve, reject) => { const net = require('net'); const s = net.connect(a.tcpPort, '127.0.0.1'); s.on('connect', () => resolve('connected')); s.on('error', reject); }),
  'global fetch to 127.0.0.1 (not listed)': async (a) => (await fetch('http://127.0.0.1:' + a.httpPort + '/global')).status,
  'context.fetch to a non-allowed host': async (a, ctx) => (await ctx.fetch('http://example.com/')).status,
  'context.fetch to 169.254.169.254': async (a, ctx) => (await ctx.fetch('http://169.254.169.254/latest/meta-data/')).status,
  'context.fetch to 127.0.0.1 on an unlisted port': async (a, ctx) => (await ctx.fetch('http://127.0.0.1:' + a.httpPort + '/ctx')).status,
  'context.fetch to localhost listed by name': async (a, ctx) => (await ctx.fetch('http://localhost:' + a.namedPort + '/named')).status,
  'eval': () => eval('6 * 7'),
  'new Function': () => new Function('return 6 * 7')(),
  'vm.runInNewContext': () => require('vm').runInNewContext('6 * 7'),
  'Module#_compile': () => { const M = require('module'); const m = new M('x'); m._compile('module.exports = 42', '/x.js'); return m.exports; },
  // Built at run time: esbuild would inline a literal data: import while bundling.
  'data: URL import': async () => (await import(['data:text/javascript', 'export default 42'].join(','))).default,
  'WebAssembly': () => typeof new WebAssembly.Module(new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0])),
  'module.registerHooks': () => require('module').registerHooks({ resolve: (s, c, n) => n(s, c) }),
  'process.kill(process.ppid)': () => { process.kill(process.ppid, 'SIGTERM'); return 'signalled'; },
  'process._debugProcess(process.ppid)': () => { process._debugProcess(process.ppid); return 'signalled'; },
  'process.setuid': () => { process.setuid(0); return 'set'; },
  'node:sqlite writing outside scratch': async (a) => { const { DatabaseSync } = await import('node:sqlite'); new DatabaseSync(a.outside + '.db').exec('create table t(a)'); return 'written'; },
  'process.binding': () => typeof process.binding('fs').open,
  'process.dlopen': () => { process.dlopen({ exports: {} }, '/lib/x86_64-linux-gnu/libc.so.6'); return 'loaded'; },
  'node:inspector': async () => { (await import('node:inspector')).open(0); return 'open'; },
  'node:dns': async () => JSON.stringify(await (await import('node:dns')).promises.lookup('localhost')),
  'node:http request': (a) => new Promise((resolve, reject) => require('http').get('http://127.0.0.1:' + a.httpPort + '/http', (r) => resolve(r.statusCode)).on('error', reject)),
  'v8.setFlagsFromString': () => { require('v8').setFlagsFromString('--allow-natives-syntax'); return 'set'; },
  'async_hooks.createHook': () => { require('async_hooks').createHook({ init() {} }).enable(); return 'hooked'; },
  'process.report.writeReport': (a) => process.report.writeReport(a.outside + '.json'),
  'os.setPriority(process.ppid)': () => { require('os').setPriority(process.ppid, 19); return 'reniced'; },
  'os.setPriority via import': async () => { const { setPriority } = await import('node:os'); setPriority(process.ppid, 19); return 'reniced'; },
  'os.getPriority of another process': () => require('os').getPriority(process.ppid),
  // Code generation by another name: a file written at run time, then loaded as code.
  'import() of a file written to the tmpdir': async (a, ctx) => { fs.writeFileSync(ctx.tmpdir + '/x.mjs', 'export default 42'); return (await import(ctx.tmpdir + '/x.mjs')).default; },
  'require() of a file written to the tmpdir': (a, ctx) => { fs.writeFileSync(ctx.tmpdir + '/x.cjs', 'module.exports = 42'); return require(ctx.tmpdir + '/x.cjs'); },
  'require() of an .mjs file written to the tmpdir': (a, ctx) => { fs.writeFileSync(ctx.tmpdir + '/y.mjs', 'export default 42'); return require(ctx.tmpdir + '/y.mjs').default; },
  'Module._load of a file': (a, ctx) => { fs.writeFileSync(ctx.tmpdir + '/z.cjs', 'module.exports = 42'); return require('module')._load(ctx.tmpdir + '/z.cjs'); },
  'Module#load of a file': (a, ctx) => { const file = ctx.tmpdir + '/w.mjs'; fs.writeFileSync(file, 'export default 42'); const M = require('module'); const m = new M(file); m.load(file); return m.exports.default; },
};
export const handler = async (event, context) => {
  const a = JSON.parse(event.body);
  if (a.attack === 'hello') return { ok: true, tmpdir: context.tmpdir };
  try {
    const got = await attacks[a.attack](a, context);
    return { outcome: 'escaped', got: String(got).slice(0, 200) };
  } catch (err) {
    return { outcome: 'denied', code: err.code ?? err.name, message: String(err.message).slice(0, 200) };
  }
};
export const names = Object.keys(attacks);
`;

const ATTACK_NAMES = [...ATTACKS.matchAll(/^ {2}'([^']+)':/gm)].map((m) => m[1]!);

async function bubblewrapWorks(): Promise<boolean> {
  const report = await probeIsolation({ ...defaultConfig(tmpdir()), isolation: 'auto' });
  return report.layers.find((l) => l.name === 'bubblewrap')?.active === true;
}

/** pids of the node workers under this process (descending through bwrap when it is there). */
async function workerPids(): Promise<number[]> {
  const out: number[] = [];
  const walk = async (pid: number, depth: number): Promise<void> => {
    const kids = (await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '')).trim().split(/\s+/).filter(Boolean).map(Number);
    for (const k of kids) {
      const exe = await readlink(`/proc/${k}/exe`).catch(() => '');
      // Inside bubblewrap the binary is mounted at /bwk/node, and /proc shows that path.
      if (exe === process.execPath || exe === '/bwk/node') out.push(k);
      else if (depth < 3) await walk(k, depth + 1);
    }
  };
  await walk(process.pid, 0);
  return out;
}

async function fdTargets(pid: number): Promise<Map<string, string>> {
  const fds = new Map<string, string>();
  for (const fd of await readdir(`/proc/${pid}/fd`).catch(() => [])) {
    fds.set(fd, await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '?'));
  }
  return fds;
}

function escapeSuite(mode: IsolationMode, skip: () => string | false): void {
  describe(`escape attempts, isolation: ${mode}`, () => {
    let f: Fixture;
    let http: Server;
    let httpHits: string[];
    let tcp: ReturnType<typeof createTcpServer>;
    let tcpConnections = 0;
    let target: Awaited<ReturnType<Fixture['target']>>;
    let args: Record<string, unknown>;

    let priority: number;

    before(async () => {
      if (skip()) return;
      priority = getPriority(process.pid);
      process.env.BWK_ESCAPE_CANARY = CANARY;
      f = await startFixture(mode);
      httpHits = [];
      http = createHttpServer((req, res) => { httpHits.push(req.url ?? ''); res.end('reached'); });
      await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
      tcp = createTcpServer((s) => { tcpConnections++; s.destroy(); });
      await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
      const httpPort = (http.address() as AddressInfo).port;
      // An egress entry exists (so context.fetch is granted) but not for any port the attacks use.
      target = await f.target(ATTACKS, {
        limits: { concurrency: 1 },
        manifest: { permissions: { egress: [{ host: '127.0.0.1', port: 1 }, { host: 'localhost', port: httpPort }] } },
      });
      args = { home: f.home, outside: join(f.home, 'pwned'), httpPort, namedPort: httpPort, tcpPort: (tcp.address() as AddressInfo).port };
    });

    after(async () => {
      delete process.env.BWK_ESCAPE_CANARY;
      if (!f) return;
      await f.close();
      http.close();
      tcp.close();
    });

    for (const name of ATTACK_NAMES) {
      test(`denied: ${name}`, { skip: skip() }, async () => {
        const r = await f.sandbox.invoke(target, request(event20({ ...args, attack: name })));
        const out = JSON.parse(r.body) as { outcome: string; got?: string; code?: string; message?: string };
        assert.equal(out.outcome, 'denied', `${name} got through: ${out.got}`);
        if (name === 'host env var') assert.equal(out.message, 'absent');
      });
    }

    test('the host shows no trace of the attempts', { skip: skip() }, async () => {
      assert.equal(existsSync(join(f.home, 'pwned')), false);
      assert.equal(existsSync(join(f.home, 'pwned.db')), false);
      assert.equal(existsSync(join(f.home, 'pwned.json')), false);
      assert.deepEqual(httpHits, []);
      assert.equal(tcpConnections, 0);
      assert.equal(getPriority(process.pid), priority, 'a worker reniced its parent');
      const types = new Set(f.events.map((e) => e.type));
      assert.ok(types.has('sandbox.permission-denied'));
      assert.ok(types.has('egress.denied'));
      const denials = f.events.filter((e) => e.type === 'egress.denied').map((e) => (e.detail as { url: string }).url);
      assert.ok(denials.includes('http://169.254.169.254/latest/meta-data/'));
    });

    test('the worker has no inherited descriptors: only 0-2 and the channel', { skip: skip() }, async () => {
      await f.sandbox.invoke(target, request(event20({ ...args, attack: 'hello' })));
      const pids = await workerPids();
      assert.ok(pids.length > 0, `no worker process found under ${process.pid}: ${await readFile(`/proc/${process.pid}/task/${process.pid}/children`, 'utf8').catch((e) => e.message)}`);
      const mine = new Set((await fdTargets(process.pid)).values());
      for (const pid of pids) {
        const fds = await fdTargets(pid);
        assert.equal(fds.get('0'), '/dev/null');
        for (const [fd, what] of fds) {
          if (Number(fd) <= 3) continue;
          // Node's own epoll/eventfd/io_uring/pipes and libuv's spare /dev/null are fine; any other path is a leak.
          assert.ok(what === '/dev/null' || what.startsWith('anon_inode:') || what.startsWith('pipe:') || what.startsWith('socket:'), `fd ${fd} -> ${what}`);
          // pipe:[inode] and socket:[inode] name one kernel object: the same one in the gateway is inherited.
          assert.ok(!/^(pipe|socket):/.test(what) || !mine.has(what), `fd ${fd} -> ${what} is shared with the gateway`);
        }
      }
    });

    test('context.tmpdir is fresh per invocation and the scratch root is emptied, on the same worker', { skip: skip() }, async () => {
      const t = await f.target(
        `import fs from 'node:fs'; import path from 'node:path'; const me = Math.random();
         export const handler = async (e, ctx) => {
           const prev = JSON.parse(e.body).prev;
           const seen = prev ? [fs.existsSync(prev.inTmp), fs.existsSync(prev.inRoot), fs.readdirSync(path.dirname(ctx.tmpdir))] : null;
           const inTmp = path.join(ctx.tmpdir, 'a.txt'); fs.writeFileSync(inTmp, 'secret');
           const inRoot = path.join(path.dirname(ctx.tmpdir), 'left-behind'); fs.writeFileSync(inRoot, 'secret');
           return { me, inTmp, inRoot, seen, tmpdirEnv: process.env.TMPDIR === ctx.tmpdir };
         };`,
        { limits: { concurrency: 1 } },
      );
      const first = JSON.parse((await f.sandbox.invoke(t, request(event20({})))).body);
      const second = JSON.parse((await f.sandbox.invoke(t, request(event20({ prev: first })))).body);
      assert.equal(second.me, first.me, 'same worker');
      assert.notEqual(second.inTmp, first.inTmp);
      assert.deepEqual(second.seen, [false, false, [second.inTmp.split('/').at(-2)]]);
      assert.equal(first.tmpdirEnv, true);
    });

    test('context.fetch reaches a loopback server listed explicitly as 127.0.0.1:<port>', { skip: skip() }, async () => {
      const port = (http.address() as AddressInfo).port;
      const t = await f.target(
        `export const handler = async (e, ctx) => {
           const r = await ctx.fetch('http://127.0.0.1:${port}/allowed?x=1', { method: 'POST', body: 'ping', headers: { 'x-test': '1' } });
           return { status: r.status, text: await r.text(), globalSame: (await fetch('http://127.0.0.1:${port}/global-allowed')).status };
         };`,
        { manifest: { permissions: { egress: [{ host: '127.0.0.1', port }] } } },
      );
      const before = httpHits.length;
      const out = JSON.parse((await f.sandbox.invoke(t, request())).body);
      assert.deepEqual(out, { status: 200, text: 'reached', globalSame: 200 });
      assert.deepEqual(httpHits.slice(before), ['/allowed?x=1', '/global-allowed']);
    });

    test('after every attempt the provider still serves', { skip: skip() }, async () => {
      const r = await f.sandbox.invoke(target, request(event20({ ...args, attack: 'hello' })));
      assert.equal(JSON.parse(r.body).ok, true);
    });
  });
}

const bwrapOk = await bubblewrapWorks();
escapeSuite('strict', () => (bwrapOk ? false : 'bubblewrap cannot create namespaces on this machine (see bulwark doctor)'));
escapeSuite('permission-only', () => false);
