// The bulwark CLI as a user runs it: real CLI processes against a real gateway (startPlatform on a temp
// home, port 0, real store and sandboxes). init → deploy → invoke → list → logs → rollback → rm, keys,
// invoke --local, serve --quickstart, and the failure paths: malformed manifest, unreachable gateway,
// missing credentials, usage errors.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, statSync, mkdirSync, cpSync } from 'node:fs';
import { createServer } from 'node:net';
import { createServer as createHttpServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.ts';
import { startPlatform, type Platform } from '../src/gateway/platform.ts';

const repo = fileURLToPath(new URL('..', import.meta.url));
const main = join(repo, 'src/cli/main.ts');

interface Run { code: number; stdout: string; stderr: string }

/** Runs the CLI with exactly `env` (plus PATH), never the test runner's own BULWARK_* variables. */
function cli(args: string[], opts: { env?: Record<string, string>; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolveRun) => {
    execFile(process.execPath, [main, ...args], {
      cwd: opts.cwd ?? work,
      env: { PATH: process.env.PATH ?? '', ...opts.env },
      timeout: 60_000,
    }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolveRun({ code, stdout, stderr });
    });
  });
}

function assertCleanError(r: Run, code: string): void {
  assert.notEqual(r.code, 0, `expected a failure, got exit 0: ${r.stdout}`);
  assert.match(r.stderr, new RegExp(`^error ${code}: `, 'm'), r.stderr);
  assert.doesNotMatch(r.stderr, /^\s+at /m, 'no stack trace without BULWARK_DEBUG');
}

let work: string;
let home: string;
let platform: Platform;
let env: Record<string, string>;
let adminKey: string;
/** `invoke` sends only BULWARK_API_KEY, never the admin key in credentials.json: an invoker key here. */
let invokeEnv: Record<string, string>;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'bwk-cli-'));
  home = join(work, 'home');
  platform = await startPlatform(loadConfig(home, { listen: { host: '127.0.0.1', port: 0 }, logLevel: 'warn' }, {}),
    { logDestination: { write() {} } });
  adminKey = (JSON.parse(readFileSync(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;
  // The CLI finds URL and key in $BULWARK_HOME/credentials.json, as after `bulwark serve`.
  env = { BULWARK_HOME: home };
  const res = await fetch(`${platform.url}/admin/v1/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ role: 'invoker', functions: ['*'], label: 'cli-tests' }),
  });
  assert.equal(res.status, 201);
  invokeEnv = { ...env, BULWARK_API_KEY: ((await res.json()) as { key: string }).key };
});

after(async () => {
  await platform.close();
  rmSync(work, { recursive: true, force: true });
});

test('init scaffolds a function whose own test passes, and refuses to overwrite it', async () => {
  const r = await cli(['init', 'greet'], { env });
  assert.equal(r.code, 0, r.stderr);
  for (const f of ['bulwark.yaml', 'src/index.ts', 'src/index.test.ts', 'schemas/input.json', 'package.json']) {
    assert.ok(existsSync(join(work, 'greet', f)), `${f} created`);
  }
  const own = await new Promise<Run>((res) => execFile(process.execPath, ['--test', 'src/index.test.ts'], { cwd: join(work, 'greet') },
    (err, stdout, stderr) => res({ code: err ? 1 : 0, stdout, stderr })));
  assert.equal(own.code, 0, own.stdout + own.stderr);

  const before = readFileSync(join(work, 'greet', 'src/index.ts'), 'utf8');
  const again = await cli(['init', 'greet'], { env });
  assert.equal(again.code, 1);
  assertCleanError(again, 'BWK_E_CLI_EXISTS');
  assert.equal(readFileSync(join(work, 'greet', 'src/index.ts'), 'utf8'), before, 'nothing overwritten');
});

test('deploy prints name@version and sha256; an unchanged redeploy stores no new version', async () => {
  const r = await cli(['deploy', 'greet'], { env });
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^greet@1\nsha256 [0-9a-f]{64}\n$/);
  assert.match(r.stderr, /bundling greet/, 'plain progress lines when not a TTY');

  const again = await cli(['deploy', 'greet', '--json'], { env });
  assert.equal(again.code, 0, again.stderr);
  const body = JSON.parse(again.stdout) as { name: string; version: number; unchanged: boolean; sha256: string };
  assert.equal(body.name, 'greet');
  assert.equal(body.version, 1);
  assert.equal(body.unchanged, true);
  assert.equal(again.stderr, '', '--json keeps stderr quiet');
});

test('invoke calls the function through the gateway; a schema violation shows code and request id', async () => {
  const ok = await cli(['invoke', 'greet', '--data', '{"name":"Ada"}'], { env: invokeEnv });
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { message: string }).message, 'Hello, Ada!');

  writeFileSync(join(work, 'body.json'), '{"name":"Grace"}');
  const fromFile = await cli(['invoke', 'greet', '--data', '@body.json', '--json'], { env: invokeEnv });
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const answer = JSON.parse(fromFile.stdout) as { statusCode: number; body: string };
  assert.equal(answer.statusCode, 200);
  assert.equal((JSON.parse(answer.body) as { message: string }).message, 'Hello, Grace!');

  const bad = await cli(['invoke', 'greet', '--data', '{"nom":"x"}'], { env: invokeEnv });
  assert.equal(bad.code, 1);
  assertCleanError(bad, 'BWK_E_GUARD_INPUT_INVALID');
  assert.match(bad.stderr, /HTTP 400, request id [0-9a-f-]+/);
});

test('invoke never sends the stored admin key: a public function sees no credential, a protected one answers 401 with a hint', async () => {
  const dir = join(work, 'headers');
  mkdirSync(dir);
  writeFileSync(join(dir, 'bulwark.yaml'), [
    'name: headers', 'handler: index.mjs#handler', 'owner: owner@example.com', 'expires: 2099-12-31',
    'triggers:', '  - http: { method: GET, path: /, auth: public }', '',
  ].join('\n'));
  writeFileSync(join(dir, 'index.mjs'), 'export const handler = async (event) => ({ statusCode: 200, body: JSON.stringify(event.headers) });\n');
  // A public route without an input schema is a high scan finding (BWK-MAN-PUBLIC-ROUTE) that the deploy
  // gate refuses; this test is about what invoke sends, so the finding is waived.
  writeFileSync(join(dir, 'bulwark.waivers.yaml'), `- rule: BWK-MAN-PUBLIC-ROUTE\n  reason: echoes the request headers for this test\n  expires: ${new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10)}\n`);
  const deployed = await cli(['deploy', 'headers'], { env });
  assert.equal(deployed.code, 0, deployed.stderr);
  const seen = await cli(['invoke', 'headers'], { env });
  assert.equal(seen.code, 0, seen.stderr);
  const headers = JSON.parse(seen.stdout) as Record<string, string>;
  assert.ok(Object.keys(headers).length > 0, 'the function echoed the request headers');
  assert.equal(headers.authorization, undefined, 'no Authorization header reached the function');
  assert.ok(!seen.stdout.includes(adminKey.slice(0, 20)), 'the admin key never reached the function');

  const denied = await cli(['invoke', 'greet', '--data', '{"name":"Ada"}'], { env });
  assertCleanError(denied, 'BWK_E_GUARD_AUTH_REQUIRED');
  assert.match(denied.stderr, /hint: invoke sends only BULWARK_API_KEY/);
  assert.equal((await cli(['rm', 'headers'], { env })).code, 0);
});

test('list --json, logs and logs --request-id', async () => {
  const list = await cli(['list', '--json'], { env });
  assert.equal(list.code, 0, list.stderr);
  const { functions } = JSON.parse(list.stdout) as { functions: Array<{ name: string; activeVersion: number; owner: string }> };
  assert.deepEqual(functions.map((f) => [f.name, f.activeVersion, f.owner]), [['greet', 1, 'owner@example.com']]);

  const table = await cli(['list'], { env });
  assert.match(table.stdout, /^NAME\s+ACTIVE\s+LATEST/);
  assert.match(table.stdout, /^greet\s+1\s+1\s+owner@example\.com/m);

  const logs = await cli(['logs', 'greet', '--json'], { env });
  assert.equal(logs.code, 0, logs.stderr);
  const entries = (JSON.parse(logs.stdout) as { logs: Array<{ message: string; requestId: string; fields?: { name?: string } }> }).logs;
  const ada = entries.find((e) => e.message === 'greeting' && e.fields?.name === 'Ada');
  assert.ok(ada, 'the handler\'s context.log line is there');

  const one = await cli(['logs', 'greet', '--request-id', ada.requestId], { env });
  assert.equal(one.code, 0, one.stderr);
  assert.equal(one.stdout.trim().split('\n').length, 1);
  assert.match(one.stdout, new RegExp(`INFO  @1 ${ada.requestId} greeting \\{"name":"Ada"\\}`));
});

test('a second version, rollback to the previous one and forward again with --to', async () => {
  const src = join(work, 'greet', 'src/index.ts');
  writeFileSync(src, readFileSync(src, 'utf8').replace('`Hello, ${input.name}!`', '`Hi, ${input.name}!`'));
  const v2 = await cli(['deploy', 'greet'], { env });
  assert.equal(v2.code, 0, v2.stderr);
  assert.match(v2.stdout, /^greet@2\n/);
  const greet = async () => (JSON.parse((await cli(['invoke', 'greet', '--data', '{"name":"Ada"}'], { env: invokeEnv })).stdout) as { message: string }).message;
  assert.equal(await greet(), 'Hi, Ada!');

  const back = await cli(['rollback', 'greet'], { env });
  assert.equal(back.code, 0, back.stderr);
  assert.match(back.stdout, /^greet@1 is active/);
  assert.equal(await greet(), 'Hello, Ada!');

  const forward = await cli(['rollback', 'greet', '--to', '2', '--json'], { env });
  assert.equal(forward.code, 0, forward.stderr);
  assert.equal((JSON.parse(forward.stdout) as { version: number }).version, 2);
  assert.equal(await greet(), 'Hi, Ada!');

  const missing = await cli(['rollback', 'greet', '--to', '9'], { env });
  assertCleanError(missing, 'BWK_E_REGISTRY_VERSION_NOT_FOUND');
});

test('keys create shows the key once, it works, list never shows it, revoke stops it', async () => {
  const created = await cli(['keys', 'create', '--role', 'invoker', '--functions', 'greet', '--label', 'ci', '--json'], { env });
  assert.equal(created.code, 0, created.stderr);
  const { id, key } = JSON.parse(created.stdout) as { id: string; key: string };
  const asInvoker = { BULWARK_HOME: join(work, 'nowhere'), BULWARK_URL: platform.url, BULWARK_API_KEY: key };
  const call = await cli(['invoke', 'greet', '--data', '{"name":"Key"}'], { env: asInvoker });
  assert.equal(call.code, 0, call.stderr);

  const listed = await cli(['keys', 'list', '--json'], { env });
  assert.ok(!listed.stdout.includes(key), 'the secret is never listed');
  const row = (JSON.parse(listed.stdout) as { keys: Array<{ id: string; label: string; role: string }> }).keys.find((k) => k.id === id);
  assert.deepEqual(row && [row.label, row.role], ['ci', 'invoker']);

  const denied = await cli(['deploy', 'greet'], { env: asInvoker });
  assertCleanError(denied, 'BWK_E_GUARD_FORBIDDEN');

  const revoked = await cli(['keys', 'revoke', id], { env });
  assert.equal(revoked.code, 0, revoked.stderr);
  const after = await cli(['invoke', 'greet', '--data', '{"name":"Key"}'], { env: asInvoker });
  assertCleanError(after, 'BWK_E_GUARD_AUTH_INVALID');
  assert.ok(!after.stderr.includes(key), 'the key is never echoed');

  const usage = await cli(['keys', 'create', '--role', 'root', '--functions', 'greet'], { env });
  assert.equal(usage.code, 2);
  assertCleanError(usage, 'BWK_E_CLI_USAGE');
});

test('rm removes the function; invoking it then is a 404', async () => {
  const r = await cli(['rm', 'greet'], { env });
  assert.equal(r.code, 0, r.stderr);
  // Then the offboarding account (src/lifecycle/offboard.ts): what was revoked, deleted and kept.
  assert.match(r.stdout, /^removed greet\n  keys revoked: .*\n  secrets deleted: none; kept \(granted elsewhere\): none\n  kv purged: none; kept: none\n$/);
  const gone = await cli(['invoke', 'greet', '--data', '{"name":"Ada"}'], { env: invokeEnv });
  assertCleanError(gone, 'BWK_E_GATEWAY_NOT_FOUND');
  const list = await cli(['list', '--json'], { env });
  assert.deepEqual(JSON.parse(list.stdout), { functions: [] });
});

test('a malformed manifest fails deploy with bulwark.yaml:line:col and stores nothing', async () => {
  const dir = join(work, 'broken');
  cpSync(join(repo, 'examples/hello'), dir, { recursive: true });
  writeFileSync(join(dir, 'bulwark.yaml'), readFileSync(join(dir, 'bulwark.yaml'), 'utf8').replace('limits:', 'limitz:'));
  const r = await cli(['deploy', 'broken'], { env });
  assert.equal(r.code, 1);
  assertCleanError(r, 'BWK_E_MANIFEST_INVALID');
  assert.match(r.stderr, /bulwark\.yaml:\d+:\d+: /);
  assert.match(r.stderr, /limitz/);

  writeFileSync(join(dir, 'bulwark.yaml'), 'name: [unclosed\n');
  const syntax = await cli(['deploy', 'broken'], { env });
  assertCleanError(syntax, 'BWK_E_MANIFEST_SYNTAX');
  assert.match(syntax.stderr, /bulwark\.yaml:\d+:\d+: /);
  assert.deepEqual(JSON.parse((await cli(['list', '--json'], { env })).stdout), { functions: [] });
});

test('an unreachable gateway is one clear error', async () => {
  const port = await new Promise<number>((res) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => res(p));
    });
  });
  const url = `http://127.0.0.1:${port}`;
  const r = await cli(['list'], { env: { BULWARK_HOME: join(work, 'nowhere'), BULWARK_URL: url, BULWARK_API_KEY: adminKey } });
  assert.equal(r.code, 1);
  assertCleanError(r, 'BWK_E_CLI_UNREACHABLE');
  assert.ok(r.stderr.includes(url));
  assert.ok(!r.stderr.includes(adminKey));
  assert.equal(r.stderr.trim().split('\n').length, 1, 'one line');
});

test('no credentials anywhere → BWK_E_CLI_NO_CREDENTIALS; usage errors exit 2', async () => {
  const empty = { BULWARK_HOME: join(work, 'empty-home') };
  const r = await cli(['list'], { env: empty });
  assert.equal(r.code, 1);
  assertCleanError(r, 'BWK_E_CLI_NO_CREDENTIALS');
  assert.match(r.stderr, /BULWARK_API_KEY/);

  const missingArg = await cli(['logs'], { env });
  assert.equal(missingArg.code, 2);
  assertCleanError(missingArg, 'BWK_E_CLI_USAGE');
  const unknown = await cli(['deploy', '--key', 'x'], { env });
  assert.equal(unknown.code, 2, 'there is no --key flag');
  assertCleanError(unknown, 'BWK_E_CLI_USAGE');

  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  for (const cmd of ['init', 'deploy', 'invoke', 'list', 'logs', 'rollback', 'rm', 'serve', 'keys', 'doctor']) {
    assert.match(help.stdout, new RegExp(`^  ${cmd}\\b`, 'm'));
  }
});

test('invoke --local runs the function once in a real sandbox, on a throwaway gateway', async () => {
  const r = await cli(['invoke', '--local', join(repo, 'examples/json-api'), '--path', '/quote', '--data',
    '{"items":[{"sku":"A-1","quantity":2,"unitPrice":60}]}'], { env: {} });
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    currency: 'EUR', lines: [{ sku: 'A-1', quantity: 2, amount: 120 }], subtotal: 120, discount: 6, total: 114,
  });
  assert.match(r.stderr, /\[log\] INFO quoted \{"items":1,"total":114\}/);

  const v1 = await cli(['invoke', '--local', join(repo, 'examples/lambda-cjs'), '--path', '/users/2', '--json'], { env: {} });
  assert.equal(v1.code, 0, v1.stderr);
  const res = JSON.parse(v1.stdout) as { statusCode: number; body: string };
  assert.equal(res.statusCode, 200);
  assert.deepEqual((JSON.parse(res.body) as { user: unknown; method: string }).user, { id: '2', name: 'Alan Turing' });

  const escape = join(work, 'escape');
  mkdirSync(join(escape, 'src'), { recursive: true });
  writeFileSync(join(escape, 'bulwark.yaml'), 'name: escape\nhandler: src/index.ts#handler\nowner: sec@example.com\nexpires: 2030-01-01\ntriggers:\n  - http: { method: GET, path: / }\n');
  writeFileSync(join(escape, 'src/index.ts'), "import { readFileSync } from 'node:fs';\nexport const handler = async () => ({ statusCode: 200, body: readFileSync('/etc/passwd', 'utf8') });\n");
  const denied = await cli(['invoke', '--local', 'escape'], { env: {} });
  // The function's own log (with its stack, which is the point of running locally) comes first; the
  // CLI's verdict is the last line.
  assert.equal(denied.code, 1);
  assert.match(denied.stderr, /^\[log\] ERROR Error: Access to this API has been restricted/m);
  assert.match(denied.stderr, /\nerror BWK_E_SANDBOX_FUNCTION_ERROR: Function escape threw an error\n$/);
  assert.doesNotMatch(denied.stdout, /root:/, 'the local sandbox is as closed as the gateway one');
});

test('invoke --local runs the web-fetch and fetch-egress examples: egress only to the listed host:port', async () => {
  const web = await cli(['invoke', '--local', join(repo, 'examples/web-fetch'), '--path', '/echo', '--data', 'shout this'], { env: {} });
  assert.equal(web.code, 0, web.stderr);
  assert.deepEqual(JSON.parse(web.stdout), { method: 'POST', path: '/echo', echo: 'SHOUT THIS' });

  // The example's upstream moved to a free port: the same code, without depending on 8799 being free.
  const upstream = createHttpServer((_req, res) => res.end('{"quote":"stay curious"}'));
  await new Promise<void>((res) => upstream.listen(0, '127.0.0.1', res));
  const port = (upstream.address() as { port: number }).port;
  try {
    const dir = join(work, 'fetch-egress');
    cpSync(join(repo, 'examples/fetch-egress'), dir, { recursive: true });
    for (const f of ['bulwark.yaml', 'src/index.ts']) {
      writeFileSync(join(dir, f), readFileSync(join(dir, f), 'utf8').replaceAll('127.0.0.1:8799', `127.0.0.1:${port}`));
    }
    const allowed = await cli(['invoke', '--local', dir], { env: {} });
    assert.equal(allowed.code, 0, allowed.stderr);
    assert.deepEqual(JSON.parse(allowed.stdout), { upstream: `http://127.0.0.1:${port}/`, status: 200, body: '{"quote":"stay curious"}' });

    const other = await cli(['invoke', '--local', dir, '--path', `/?url=http://127.0.0.1:${port + 1}/`], { env: {} });
    assert.equal(other.code, 1, 'the function answers 403, so the CLI exits 1');
    assert.match(other.stdout, /"refused":"Egress to http:\/\/127\.0\.0\.1:\d+\/ is not allowed"/);
    const metadata = await cli(['invoke', '--local', dir, '--path', '/?url=http://169.254.169.254/latest/meta-data/'], { env: {} });
    assert.match(metadata.stdout, /"refused":"Egress to http:\/\/169\.254\.169\.254\/latest\/meta-data\/ is not allowed"/);
  } finally {
    upstream.close();
  }
});

test('serve --quickstart deploys hello idempotently, prints a working curl line, and stops on SIGTERM', async () => {
  const qsHome = join(work, 'qs-home');
  const start = () => new Promise<{ out: string; stop: () => Promise<number | null> }>((res, rej) => {
    const child = spawn(process.execPath, [main, 'serve', '--quickstart', '--port', '0'], {
      cwd: work, env: { PATH: process.env.PATH ?? '', BULWARK_HOME: qsHome }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    const timer = setTimeout(() => { child.kill('SIGKILL'); rej(new Error(`quickstart did not print a curl line: ${err}`)); }, 30_000);
    child.stderr.on('data', (d) => { err += d; });
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('Press Ctrl+C')) {
        clearTimeout(timer);
        res({
          out: out + '\n' + err,
          stop: () => new Promise((done) => { child.once('exit', (code) => done(code)); child.kill('SIGTERM'); }),
        });
      }
    });
    child.once('exit', (code) => { clearTimeout(timer); rej(new Error(`quickstart exited ${code}: ${err}`)); });
  });

  const first = await start();
  const curl = /curl -H 'Authorization: Bearer (\S+)' '(http:\/\/127\.0\.0\.1:\d+\/fn\/hello\?name=Ada)'/.exec(first.out);
  assert.ok(curl, first.out);
  const res = await fetch(curl[2]!, { headers: { authorization: `Bearer ${curl[1]}` } });
  assert.equal(res.status, 200);
  assert.equal(((await res.json()) as { message: string }).message, 'Hello, Ada!');
  assert.match(first.out, /hello@1 deployed/);
  assert.ok(first.out.includes(join(qsHome, 'credentials.json')));
  assert.equal(statSync(join(qsHome, 'credentials.json')).mode & 0o777, 0o600);
  assert.equal(await first.stop(), 0, 'graceful stop');

  const second = await start();
  assert.match(second.out, /hello@1 unchanged/);
  const key2 = /Bearer (\S+)'/.exec(second.out)![1]!;
  assert.notEqual(key2, curl[1]);
  const url = /running at (http:\/\/\S+) /.exec(second.out)![1]!;
  const old = await fetch(`${url}/fn/hello`, { headers: { authorization: `Bearer ${curl[1]}` } });
  assert.equal(old.status, 401, 'the previous quickstart key was revoked');
  const fresh = await fetch(`${url}/fn/hello`, { headers: { authorization: `Bearer ${key2}` } });
  assert.equal(fresh.status, 200);
  assert.equal(await second.stop(), 0);
});

test('doctor reports isolation layers and the data dir, and flags a world-readable home', async () => {
  const r = await cli(['doctor', '--json'], { env });
  assert.equal(r.code, 0, r.stderr);
  const report = JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string }>; isolation: { mode: string; layers: unknown[] } };
  assert.equal(report.isolation.mode, 'auto');
  assert.ok(report.isolation.layers.length > 0);
  assert.ok(report.checks.some((c) => c.name === 'isolation: node-permission' && c.status === 'ok'));
  assert.ok(report.checks.some((c) => c.name === 'gateway' && c.status === 'ok'));

  const loose = join(work, 'loose-home');
  mkdirSync(loose, { mode: 0o755 });
  const bad = await cli(['doctor'], { env: { BULWARK_HOME: loose } });
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /✖ data dir\s+.*chmod 700/);
  assertCleanError(bad, 'BWK_E_CLI_CHECKS_FAILED');
});

test('bin/bulwark runs the CLI on the pinned Node.js', async () => {
  const r = await new Promise<Run>((res) => execFile(join(repo, 'bin/bulwark'), ['--version'], { env: { PATH: process.env.PATH ?? '' } },
    (err, stdout, stderr) => res({ code: err ? 1 : 0, stdout, stderr })));
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), (JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')) as { version: string }).version);
});
