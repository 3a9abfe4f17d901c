// Acceptance: escape attempts from inside a deployed function, over real HTTP against real sandboxes.
// One attacker function runs the attack named in ?attack=; when an attack works it answers 200 with the
// loot, when it is stopped the error propagates (so the gateway sees it and answers a generic 502). For
// every attack: denied with the expected cause (read from the function log through the admin API), the
// security event published where the platform promises one, nothing leaked to the caller, nothing changed
// on the host, and the gateway still serving hello. The whole suite runs twice — bubblewrap + node
// permissions (isolation: auto) and node permissions alone (permission-only) — so each layer stands alone.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { SecurityEventType } from '../../src/bus/bus.ts';
import type { IsolationMode } from '../../src/config.ts';
import { assertError, assertNoLeak, examplesDir, startTestPlatform, writeFunction, type TestPlatform } from '../support/platform.ts';

// Set before any platform starts: if a worker inherited the host environment, it would see this.
const canaryName = `BWK_ACCEPT_CANARY_${randomBytes(6).toString('hex').toUpperCase()}`;
const canaryValue = `canary-${randomBytes(16).toString('hex')}`;
process.env[canaryName] = canaryValue;

const attackerSource = String.raw`
import { readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const attacks = {
  'read-passwd': () => readFileSync('/etc/passwd', 'utf8'),
  'read-file': (arg) => readFileSync(arg).toString('latin1'),
  'list-dir': (arg) => readdirSync(arg).join(','),
  'write-file': (arg) => { writeFileSync(arg, 'pwned'); return 'wrote ' + arg.length + ' chars of path'; },
  'write-own-bundle': () => { writeFileSync(fileURLToPath(import.meta.url), 'export const handler = () => ({ statusCode: 200, body: "owned" })'); return 'bundle replaced'; },
  'child-require': () => createRequire(import.meta.url)('child_process').execSync('id').toString(),
  'child-import': async () => (await import('node:child_process')).execSync('id').toString(),
  'child-builtin': () => process.getBuiltinModule('node:child_process').execSync('id').toString(),
  'worker-threads': async () => {
    const { Worker } = await import('node:worker_threads');
    const w = new Worker('require("worker_threads").parentPort.postMessage(process.env)', { eval: true });
    return await new Promise((resolve, reject) => { w.on('message', (m) => resolve(JSON.stringify(m))); w.on('error', reject); });
  },
  'tcp-socket': async (port) => {
    const net = process.getBuiltinModule('node:net');
    return await new Promise((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => s.write('GET /admin/v1/keys HTTP/1.0\r\n\r\n'));
      let got = '';
      s.on('data', (d) => { got += d; });
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
  },
  'tcp-import': async (port) => {
    const net = await import('node:net');
    return await new Promise((resolve, reject) => {
      const s = net.connect(Number(port), '127.0.0.1', () => resolve('connected'));
      s.on('error', reject);
    });
  },
  'global-fetch': async (url) => (await fetch(url)).text(),
  'context-fetch': async (url, context) => (await context.fetch(url)).text(),
  'env': (name) => {
    const all = JSON.stringify(process.env);
    if (process.env[name] !== undefined || all.includes(name)) return all;
    throw Object.assign(new Error('variable absent'), { code: 'BWK_TEST_ABSENT' });
  },
  'proc-environ': (which) => {
    const text = readFileSync('/proc/' + (which === 'parent' ? process.ppid : 'self') + '/environ', 'latin1');
    if (text.length > 0) return text;
    throw Object.assign(new Error('environ empty'), { code: 'BWK_TEST_ABSENT' });
  },
  'eval': () => eval('6 * 7'),
  'indirect-eval': () => (0, eval)('6 * 7'),
  'new-function': () => new Function('return 6 * 7')(),
  'vm': async () => (await import('node:vm')).runInThisContext('6 * 7'),
  'kill-parent': () => { process.kill(process.ppid, 'SIGTERM'); return 'signalled ' + process.ppid; },
  'sqlite-builtin': (file) => {
    const { DatabaseSync } = process.getBuiltinModule('node:sqlite');
    return JSON.stringify(new DatabaseSync(file).prepare('SELECT * FROM sqlite_master').all());
  },
  'sqlite-import': async (file) => {
    const { DatabaseSync } = await import('node:sqlite');
    return JSON.stringify(new DatabaseSync(file).prepare('SELECT * FROM sqlite_master').all());
  },
  'binding-fs': () => { const b = process.binding('fs'); return Object.keys(b).join(','); },
};

export const handler = async (event, context) => {
  const q = event.queryStringParameters ?? {};
  const attack = attacks[q.attack];
  if (!attack) return { statusCode: 400, body: 'unknown attack' };
  // No try/catch: a denial propagates, so the gateway (not this function) reports it.
  const loot = await attack(q.arg, context);
  return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ attack: q.attack, loot: String(loot).slice(0, 4000) }) };
};
`;

interface Attack {
  name: string;
  attack: string;
  arg?: (ctx: AttackContext) => string;
  /** Text the function log must show for this invocation: the cause of the denial. */
  cause: RegExp;
  /** Security event the platform publishes for this denial, if any. */
  event?: SecurityEventType;
  /** Host paths that must not exist afterwards. */
  untouched?: (ctx: AttackContext) => string[];
  /** Contents the answer must not contain, beyond the platform's secrets. */
  loot?: (ctx: AttackContext) => string[];
  /**
   * Under bubblewrap /tmp inside the sandbox IS the scratch dir: a write there lands in scratch (and is
   * deleted after the invocation), so it is not an escape. Only the host side is checked in that mode.
   */
  allowedUnder?: IsolationMode;
  /**
   * Under bubblewrap the host path is not mounted at all: the open fails with ENOENT before node's
   * permission check has anything to refuse (the test home lives under /tmp, which inside the sandbox
   * is the scratch dir, readable and writable). No permission-denied event then: nothing was refused.
   */
  bwrap?: { cause: RegExp; event?: SecurityEventType };
}

interface AttackContext {
  home: string;
  gatewayPort: number;
  canaryPort: number;
  hostTmpFile: string;
  homeFile: string;
  varTmpFile: string;
}

// Node's permission model says so in the message; the bootstrap's closures set code ERR_ACCESS_DENIED.
const DENIED = /ERR_ACCESS_DENIED|Access to this API has been restricted/;
const ACCESS_EVENT: SecurityEventType = 'sandbox.permission-denied';
const NOT_MOUNTED = { cause: /ENOENT/ };

const attacks: Attack[] = [
  { name: 'read /etc/passwd', attack: 'read-passwd', cause: DENIED, event: ACCESS_EVENT, loot: () => ['root:x:0:0', 'root:'] },
  { name: 'read the gateway sqlite store', attack: 'read-file', arg: (c) => join(c.home, 'bulwark.sqlite'), cause: DENIED, event: ACCESS_EVENT, loot: () => ['SQLite format'], bwrap: NOT_MOUNTED },
  { name: 'read credentials.json', attack: 'read-file', arg: (c) => join(c.home, 'credentials.json'), cause: DENIED, event: ACCESS_EVENT, loot: () => ['apiKey'], bwrap: NOT_MOUNTED },
  { name: 'list the gateway data dir', attack: 'list-dir', arg: (c) => c.home, cause: DENIED, event: ACCESS_EVENT, loot: () => ['bulwark.sqlite', 'credentials'], bwrap: NOT_MOUNTED },
  { name: 'write into the gateway home', attack: 'write-file', arg: (c) => c.homeFile, cause: DENIED, event: ACCESS_EVENT, untouched: (c) => [c.homeFile], bwrap: NOT_MOUNTED },
  { name: 'write into /tmp', attack: 'write-file', arg: (c) => c.hostTmpFile, cause: DENIED, event: ACCESS_EVENT, untouched: (c) => [c.hostTmpFile], allowedUnder: 'auto' },
  { name: 'write into /var/tmp', attack: 'write-file', arg: (c) => c.varTmpFile, cause: DENIED, event: ACCESS_EVENT, untouched: (c) => [c.varTmpFile] },
  { name: 'overwrite its own bundle', attack: 'write-own-bundle', cause: DENIED, event: ACCESS_EVENT },
  { name: 'child_process via require', attack: 'child-require', cause: /node:child_process|ERR_ACCESS_DENIED/, event: ACCESS_EVENT, loot: () => ['uid='] },
  { name: 'child_process via import()', attack: 'child-import', cause: /node:child_process/, event: ACCESS_EVENT, loot: () => ['uid='] },
  { name: 'child_process via process.getBuiltinModule', attack: 'child-builtin', cause: /node:child_process/, event: ACCESS_EVENT, loot: () => ['uid='] },
  { name: 'worker_threads', attack: 'worker-threads', cause: /node:worker_threads/, event: ACCESS_EVENT },
  { name: 'TCP socket (getBuiltinModule net) to the gateway port', attack: 'tcp-socket', arg: (c) => String(c.gatewayPort), cause: /node:net/, event: ACCESS_EVENT, loot: () => ['HTTP/1.', '"keys"'] },
  { name: 'TCP socket (import net) to the gateway port', attack: 'tcp-import', arg: (c) => String(c.gatewayPort), cause: /node:net/, event: ACCESS_EVENT, loot: () => ['connected'] },
  { name: 'global fetch to a non-allowed loopback port', attack: 'global-fetch', arg: (c) => `http://127.0.0.1:${c.canaryPort}/`, cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied', loot: () => ['canary-upstream'] },
  { name: 'context.fetch to a non-allowed host', attack: 'context-fetch', arg: () => 'http://not-allowed.invalid/', cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied' },
  { name: 'global fetch to the cloud metadata address', attack: 'global-fetch', arg: () => 'http://169.254.169.254/latest/meta-data/', cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied' },
  { name: 'context.fetch to the cloud metadata address', attack: 'context-fetch', arg: () => 'http://169.254.169.254/latest/meta-data/', cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied' },
  { name: 'global fetch to the gateway admin API', attack: 'global-fetch', arg: (c) => `http://127.0.0.1:${c.gatewayPort}/admin/v1/keys`, cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied', loot: () => ['"keys"'] },
  { name: 'context.fetch to the gateway admin API', attack: 'context-fetch', arg: (c) => `http://127.0.0.1:${c.gatewayPort}/admin/v1/keys`, cause: /BWK_E_BROKER_EGRESS_DENIED|not allowed/, event: 'egress.denied', loot: () => ['"keys"'] },
  { name: 'a host environment variable', attack: 'env', arg: () => canaryName, cause: /variable absent/ },
  { name: '/proc/self/environ', attack: 'proc-environ', arg: () => 'self', cause: DENIED, event: ACCESS_EVENT },
  { name: '/proc/<ppid>/environ', attack: 'proc-environ', arg: () => 'parent', cause: DENIED, event: ACCESS_EVENT },
  { name: 'eval', attack: 'eval', cause: /EvalError/ },
  { name: 'indirect eval', attack: 'indirect-eval', cause: /EvalError/ },
  { name: 'new Function', attack: 'new-function', cause: /EvalError/ },
  { name: 'node:vm', attack: 'vm', cause: /node:vm/, event: ACCESS_EVENT },
  { name: 'process.kill(process.ppid)', attack: 'kill-parent', cause: /process\.kill/, event: ACCESS_EVENT },
  { name: 'node:sqlite (getBuiltinModule) on the gateway store', attack: 'sqlite-builtin', arg: (c) => join(c.home, 'bulwark.sqlite'), cause: /node:sqlite/, event: ACCESS_EVENT, loot: () => ['api_keys', 'CREATE TABLE'] },
  { name: 'node:sqlite (import) on a file outside scratch', attack: 'sqlite-import', arg: (c) => join(c.home, 'bulwark.sqlite'), cause: /node:sqlite/, event: ACCESS_EVENT, loot: () => ['api_keys', 'CREATE TABLE'] },
  { name: "process.binding('fs')", attack: 'binding-fs', cause: /process\.binding/, event: ACCESS_EVENT },
];

function escapeSuite(mode: IsolationMode): void {
  describe(`escape attempts (isolation: ${mode})`, () => {
    let p: TestPlatform;
    let helloKey: string;
    let attackerKey: string;
    let fnDir: string;
    let canary: Server;
    let canaryHits = 0;
    let ctx: AttackContext;

    before(async () => {
      // A loopback upstream that is NOT in the attacker's egress list: any request reaching it is a hole.
      canary = createServer((_req, res) => { canaryHits++; res.end('canary-upstream'); });
      canary.on('connection', () => { canaryHits++; });
      await new Promise<void>((r) => canary.listen(0, '127.0.0.1', r));
      const canaryPort = (canary.address() as AddressInfo).port;

      // Incidents off: every attempt runs in one function, and the egress-forbidden-host playbook
      // (docs/incidents.md, tested in incidents.test.ts) would disable it at the first denied fetch.
      p = await startTestPlatform({ overrides: { isolation: mode, incidents: { enabled: false } } });
      p.secrets.push(canaryValue);
      const report = p.platform.sandbox.isolation();
      const bwrap = report.layers.find((l) => l.name === 'bubblewrap');
      const perm = report.layers.find((l) => l.name === 'node-permission');
      assert.equal(perm?.active, true, `node --permission must be active: ${perm?.detail}`);
      assert.equal(bwrap?.active, mode === 'auto', `bubblewrap must be ${mode === 'auto' ? 'active (bwrap is installed here)' : 'off'}: ${bwrap?.detail}`);

      fnDir = await writeFunction({
        'bulwark.yaml': [
          'name: attacker',
          'handler: index.mjs#handler',
          'owner: red-team@example.com',
          'expires: 2030-01-01',
          'triggers:',
          '  - http: { method: GET, path: / }',
          'limits: { timeout: 5s, memory: 128MB, concurrency: 2 }',
          // One harmless entry, so context.fetch exists and the allowlist is what is being tested.
          'permissions: { egress: [127.0.0.1:9] }',
          // The sandbox is under test here: the injection guard would refuse the internal URLs in ?arg= first.
          'injection: { exempt: [query.arg] }',
          '',
        ].join('\n'),
        'index.mjs': attackerSource,
      });
      await p.deploy(fnDir);
      await p.deploy(join(examplesDir, 'hello'));
      helloKey = (await p.createKey({ role: 'invoker', functions: ['hello'] })).key;
      attackerKey = (await p.createKey({ role: 'invoker', functions: ['attacker'] })).key;
      const tag = randomBytes(6).toString('hex');
      ctx = {
        home: p.home,
        gatewayPort: p.port,
        canaryPort,
        homeFile: join(p.home, `pwned-${tag}`),
        hostTmpFile: `/tmp/bwk-pwned-${tag}`,
        varTmpFile: `/var/tmp/bwk-pwned-${tag}`,
      };
    });

    after(async () => {
      await p?.close();
      await new Promise((r) => canary?.close(r));
      if (fnDir) await rm(fnDir, { recursive: true, force: true });
      if (ctx) for (const f of [ctx.hostTmpFile, ctx.varTmpFile]) await rm(f, { force: true });
    });

    for (const a of attacks) {
      test(a.name, async () => {
        const qs = new URLSearchParams({ attack: a.attack });
        if (a.arg) qs.set('arg', a.arg(ctx));
        const answer = await p.request('GET', `/fn/attacker?${qs}`, { key: attackerKey });
        const forbidden = [...p.secrets, ...(a.loot?.(ctx) ?? [])];

        const expected = mode === 'auto' && a.bwrap ? a.bwrap : { cause: a.cause, event: a.event };
        if (a.allowedUnder === mode && answer.status === 200) {
          // Landed inside the sandbox's own scratch: what matters is the host side, checked below.
          assertNoLeak(answer.text, p.secrets);
        } else {
          // The function's own error is reported generically; the cause is only in the function log.
          assertError(answer, 502, 'BWK_E_SANDBOX_FUNCTION_ERROR', forbidden);
          const logs = await p.functionLogs('attacker', answer.requestId);
          const text = logs.map((l) => l.message).join('\n');
          assert.match(text, expected.cause, `function log of ${answer.requestId} should show the denial: ${text.slice(0, 800)}`);
          if (expected.event) {
            const e = await p.expectEvent(expected.event, answer.requestId);
            assert.equal(e.function, 'attacker');
          }
        }
        await p.expectLog([answer.requestId]);
        for (const f of a.untouched?.(ctx) ?? []) assert.equal(existsSync(f), false, `${f} was created on the host`);
        assert.equal(canaryHits, 0, 'the non-allowed loopback upstream was reached');

        const hello = await p.request('GET', '/fn/hello?name=after', { key: helloKey });
        assert.equal(hello.status, 200, `gateway no longer serves hello: ${hello.text}`);
        assert.equal(hello.json.message, 'Hello, after!');
      });
    }

    test('the bundle on disk was not replaced: the attacker still runs its own code', async () => {
      const answer = await p.request('GET', '/fn/attacker?attack=nothing', { key: attackerKey });
      assert.equal(answer.status, 400);
      assert.equal(answer.text, 'unknown attack');
    });
  });
}

escapeSuite('auto');
escapeSuite('permission-only');
