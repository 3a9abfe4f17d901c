// The vault over the real platform: a canary secret set through the CLI (stdin) never appears in the data
// directory (database, WAL, logs, key files), the gateway log, an admin answer or an error body; a wrong
// master key stops the gateway from starting; a master key rotation keeps secrets readable and makes
// the old key useless.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { loadConfig } from '../../src/config.ts';
import { startPlatform } from '../../src/gateway/platform.ts';
import { BulwarkError } from '../../src/errors.ts';
import { openVault } from '../../src/vault/vault.ts';
import { MASTER_KEY_FILE } from '../../src/vault/master-key.ts';
import { cliMain, manifest, runCli, startTestPlatform, tempDir, type Answer } from '../support/platform.ts';

// Reads its granted secret, uses it (hashes it), logs it (the log must show it redacted), and tries a
// secret it was not granted.
const reader = `
import { createHash } from 'node:crypto';
export const handler = async (event, context) => {
  const value = await context.secrets.get('PAYMENT_TOKEN');
  context.log.info('using token ' + value);
  let other;
  try { await context.secrets.get('DB_PASSWORD'); other = 'read'; } catch (err) { other = err.code; }
  return { statusCode: 200, body: JSON.stringify({ sha256: createHash('sha256').update(value).digest('hex'), other }) };
};
`;
// Granted nothing: asks for the secret anyway.
const thief = `
export const handler = async (event, context) => {
  try { return { statusCode: 200, body: await context.secrets.get('PAYMENT_TOKEN') }; }
  catch (err) { return { statusCode: 200, body: JSON.stringify({ code: err.code, message: err.message }) }; }
};
`;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...await filesUnder(path));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

test('a canary secret set through the CLI is nowhere on disk, in the log, in answers or events; rotate-master keeps it readable', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const canary = `canary-${randomBytes(16).toString('hex')}`;
  const needles = [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')];
  const cliEnv = { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };

  const set = await runCli(['secrets', 'set', 'PAYMENT_TOKEN'], cliEnv, undefined, `${canary}\n`);
  assert.equal(set.code, 0, set.stderr);
  assert.match(set.stdout, /set PAYMENT_TOKEN: version 1 is active/);
  // The trailing newline of `echo … |` is not part of the value.
  assert.deepEqual(await p.platform.vault.get('PAYMENT_TOKEN'), Buffer.from(canary));
  const list = await runCli(['secrets', 'list', '--json'], cliEnv);
  assert.equal(list.code, 0, list.stderr);
  assert.equal(JSON.parse(list.stdout).secrets[0].name, 'PAYMENT_TOKEN');
  // A value is never taken from argv: there is no such argument.
  const argv = await runCli(['secrets', 'set', 'OTHER', canary], cliEnv);
  assert.equal(argv.code, 2);
  // A deployer may list names, not write; an invoker may not even list.
  const deployer = await p.createKey({ role: 'deployer', functions: ['*'] });
  assert.equal((await p.request('GET', '/admin/v1/secrets', { key: deployer.key })).status, 200);
  assert.equal((await p.request('PUT', '/admin/v1/secrets/PAYMENT_TOKEN', { key: deployer.key, body: { value: 'x' } })).status, 403);
  const invoker = await p.createKey({ role: 'invoker', functions: ['*'] });
  assert.equal((await p.request('GET', '/admin/v1/secrets', { key: invoker.key })).status, 403);

  const invocations: Answer[] = [];
  assert.equal((await p.deployFiles({
    'bulwark.yaml': manifest('reader', ['{ method: GET, path: /read }'], ['permissions:', '  secrets: [PAYMENT_TOKEN]']), 'index.mjs': reader,
  })).status, 201);
  assert.equal((await p.deployFiles({ 'bulwark.yaml': manifest('thief', ['{ method: GET, path: /steal }']), 'index.mjs': thief })).status, 201);
  const read = await p.request('GET', '/fn/reader/read', { key: p.adminKey });
  invocations.push(read);
  assert.equal(read.status, 200, read.text);
  const sha256 = createHash('sha256').update(canary).digest('hex');
  assert.deepEqual(JSON.parse(read.text), { sha256, other: 'BWK_E_BROKER_CAPABILITY_DENIED' });
  const readId = read.requestId;
  assert.deepEqual((await p.expectEvent('capability.used', readId)).detail, { capability: 'secrets', target: 'PAYMENT_TOKEN' });
  const readerDenied = await p.expectEvent('capability.denied', readId);
  assert.deepEqual([readerDenied.function, readerDenied.detail], ['reader', { capability: 'secrets', target: 'DB_PASSWORD' }]);
  const logged = await p.functionLogs('reader', readId);
  assert.ok(logged.some((l) => l.message === 'using token [REDACTED:known-secret]'), JSON.stringify(logged));

  const steal = await p.request('GET', '/fn/thief/steal', { key: p.adminKey });
  invocations.push(steal);
  assert.equal(JSON.parse(steal.text).code, 'BWK_E_BROKER_CAPABILITY_DENIED');
  const stolen = await p.expectEvent('capability.denied', steal.requestId);
  assert.deepEqual([stolen.function, stolen.detail], ['thief', { capability: 'secrets', target: 'PAYMENT_TOKEN' }]);


  const answers = [
    await p.request('GET', '/admin/v1/secrets', { key: p.adminKey }),
    await p.request('GET', '/admin/v1/secrets/PAYMENT_TOKEN', { key: p.adminKey }),
    await p.request('POST', '/admin/v1/secrets/PAYMENT_TOKEN/rotate', { key: p.adminKey, body: { value: canary } }),
    await p.request('PUT', '/admin/v1/secrets/lower', { key: p.adminKey, body: { value: canary } }),
    await p.request('PUT', '/admin/v1/secrets/EMPTY', { key: p.adminKey, body: { value: '' } }),
    await p.request('POST', '/admin/v1/secrets/NOPE/rotate', { key: p.adminKey, body: { value: canary } }),
  ];
  assert.deepEqual(answers.map((a) => a.status), [200, 200, 201, 400, 400, 404]);

  const oldKey = (await readFile(join(p.home, MASTER_KEY_FILE), 'utf8')).trim();
  const rotated = await runCli(['vault', 'rotate-master'], cliEnv);
  assert.equal(rotated.code, 0, rotated.stderr);
  assert.match(rotated.stdout, /master key rotated .*2 secret version\(s\) re-wrapped/);
  assert.deepEqual(await p.platform.vault.get('PAYMENT_TOKEN'), Buffer.from(canary));
  const afterRotation = await p.request('GET', '/fn/reader/read', { key: p.adminKey });
  invocations.push(afterRotation);
  assert.equal(JSON.parse(afterRotation.text).sha256, sha256);
  assert.notEqual((await readFile(join(p.home, MASTER_KEY_FILE), 'utf8')).trim(), oldKey);
  await assert.rejects(openVault({ store: p.platform.store.secrets, home: p.home, env: { BULWARK_MASTER_KEY: oldKey } }),
    (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_WRONG');
  const changes = p.events.filter((e) => e.type === 'secret.changed' || e.type === 'vault.master-rotated');
  assert.deepEqual(changes.map((e) => e.type), ['secret.changed', 'secret.changed', 'vault.master-rotated']);

  // Let the log writer catch up, then look everywhere.
  await p.expectLog(['vault/rotate-master']);
  const texts = [
    ...[...answers, ...invocations].map((a) => `${JSON.stringify([...a.headers])}${a.text}`), set.stdout, set.stderr, list.stdout, argv.stderr, rotated.stdout, rotated.stderr,
    JSON.stringify(p.events), p.logLines().join('\n'),
  ];
  for (const text of texts) for (const n of needles) assert.equal(text.includes(n), false, `canary found in: ${text.slice(0, 200)}`);
  const files = await filesUnder(p.home);
  assert.ok(files.some((f) => f.endsWith('bulwark.sqlite')));
  for (const file of files) {
    const bytes = await readFile(file);
    for (const n of needles) assert.equal(bytes.includes(n), false, `canary found in ${file}`);
  }
});

/** `bulwark vault rotate-master` as an operator runs it: reads the printed key and pastes it back. */
function rotateByPastingBack(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [cliMain, 'vault', 'rotate-master'], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', CI: 'true', ...env }, stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => {
      stdout += text;
      if (stdout.includes('\n')) child.stdin.end(stdout);
    });
    child.stderr.setEncoding('utf8').on('data', (text: string) => { stderr += text; });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

test('rotate-master with BULWARK_MASTER_KEY: nothing changes until the operator proves they kept the printed key', async (t) => {
  const oldKey = randomBytes(32).toString('base64');
  const p = await startTestPlatform({ env: { BULWARK_MASTER_KEY: oldKey } });
  t.after(() => p.close());
  const cliEnv = { BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
  await p.platform.vault.set('DB_PASSWORD', Buffer.from('hunter2-hunter2'), 'key:test');
  const store = p.platform.store.secrets;
  const before = await store.all();
  const opensWith = async (key: string) => (await openVault({ store, home: p.home, env: { BULWARK_MASTER_KEY: key } })).get('DB_PASSWORD');

  // The old one-step route would seal everything under a key only its answer carried: refused.
  const oneStep = await p.request('POST', '/admin/v1/vault/rotate-master', { key: p.adminKey });
  assert.equal(oneStep.status, 409);
  assert.equal(JSON.parse(oneStep.text).error.code, 'BWK_E_VAULT_ROTATION_MODE');

  // The operator closes the prompt (no input) or pastes something else: the key was printed, nothing committed.
  const abandoned = await runCli(['vault', 'rotate-master'], cliEnv);
  assert.notEqual(abandoned.code, 0);
  assert.match(abandoned.stderr, /nothing was committed/);
  const abandonedKey = abandoned.stdout.trim();
  assert.equal(Buffer.from(abandonedKey, 'base64').length, 32);
  const mistyped = await runCli(['vault', 'rotate-master'], cliEnv, undefined, `${randomBytes(32).toString('base64')}\n`);
  assert.notEqual(mistyped.code, 0);
  assert.match(mistyped.stderr, /BWK_E_VAULT_ROTATION_PROOF_WRONG/);
  assert.deepEqual(await store.all(), before);
  assert.deepEqual(await opensWith(oldKey), Buffer.from('hunter2-hunter2'));
  await assert.rejects(opensWith(abandonedKey), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_WRONG');

  // Pasting back the printed key commits.
  const pasted = await rotateByPastingBack(cliEnv);
  assert.equal(pasted.code, 0, pasted.stderr);
  const pastedKey = pasted.stdout.trim();
  assert.match(pasted.stderr, /master key rotated \(id [0-9a-f]{16}, 1 secret version\(s\) re-wrapped\)/);
  assert.deepEqual(await opensWith(pastedKey), Buffer.from('hunter2-hunter2'));
  await assert.rejects(opensWith(oldKey), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_WRONG');

  // So does --yes, once the key is on stdout.
  const yes = await runCli(['vault', 'rotate-master', '--yes'], cliEnv);
  assert.equal(yes.code, 0, yes.stderr);
  const newKey = yes.stdout.trim();
  assert.equal(yes.stdout, `${newKey}\n`);
  assert.match(yes.stderr, /master key rotated \(id [0-9a-f]{16}, 1 secret version\(s\) re-wrapped\)/);
  assert.deepEqual(await p.platform.vault.get('DB_PASSWORD'), Buffer.from('hunter2-hunter2'));
  assert.deepEqual(await opensWith(newKey), Buffer.from('hunter2-hunter2'));
  await assert.rejects(opensWith(pastedKey), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_WRONG');

  const rotations = p.events.filter((e) => e.type.startsWith('vault.'));
  assert.deepEqual(rotations.map((e) => e.type), ['prepared', 'prepared', 'prepared', 'rotated', 'prepared', 'rotated'].map((s) => s === 'rotated' ? 'vault.master-rotated' : 'vault.master-rotation-prepared'));
  await p.expectLog(['vault/rotate-master/commit']);
  // The new keys (committed or not) were on the CLI's stdout only: never in an event, the log or on disk.
  const keys = [newKey, abandonedKey, mistyped.stdout.trim(), pastedKey];
  for (const text of [JSON.stringify(p.events), p.logLines().join('\n'), yes.stderr, pasted.stderr]) for (const k of keys) assert.equal(text.includes(k), false);
  for (const file of await filesUnder(p.home)) {
    const bytes = await readFile(file);
    for (const k of keys) assert.equal(bytes.includes(k), false, `a master key found in ${file}`);
  }
});

test('a wrong master key stops the start with a clear message; the right one starts', async (t) => {
  const home = await tempDir('vault-home');
  t.after(() => rm(home, { recursive: true, force: true }));
  const lines: string[] = [];
  const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
  const config = loadConfig(home, { listen: { host: '127.0.0.1', port: 0 } }, {});
  const right = randomBytes(32).toString('base64');
  const first = await startPlatform(config, { logDestination: sink, env: { BULWARK_MASTER_KEY: right } });
  await first.vault.set('DB_PASSWORD', Buffer.from('hunter2-hunter2'), 'key:test');
  await first.close();

  const wrong = randomBytes(32).toString('base64');
  await assert.rejects(startPlatform(config, { logDestination: sink, env: { BULWARK_MASTER_KEY: wrong } }), (err: unknown) =>
    err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_WRONG' && /BULWARK_MASTER_KEY does not open this vault/.test(err.message));
  // No key at all, with secrets stored: refused too, not a fresh key file.
  await assert.rejects(startPlatform(config, { logDestination: sink, env: {} }), (err: unknown) =>
    err instanceof BulwarkError && err.code === 'BWK_E_VAULT_KEY_MISSING');
  const again = await startPlatform(config, { logDestination: sink, env: { BULWARK_MASTER_KEY: right } });
  assert.deepEqual(await again.vault.get('DB_PASSWORD'), Buffer.from('hunter2-hunter2'));
  await again.close();
  const log = lines.join('');
  for (const n of [right, wrong, 'hunter2-hunter2']) assert.equal(log.includes(n), false);
});

// Returns its granted secret, as it is or encoded, in the body: the leak scanner knows the vault's values.
const returner = `
export const handler = async (event, context) => {
  const value = await context.secrets.get('PAYMENT_TOKEN');
  const how = event.queryStringParameters?.as;
  const body = how === 'base64' ? Buffer.from(value).toString('base64') : how === 'hex' ? Buffer.from(value).toString('hex') : 'token=' + value;
  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body };
};
`;

test('a function returning one of its secrets is blocked by default and redacted under dlp.responses: redact, and recorded', async (t) => {
  for (const mode of ['block', 'redact'] as const) {
    const p = await startTestPlatform({ overrides: { dlp: { responses: mode } } });
    t.after(() => p.close());
    // An opaque value with no credential shape: only the vault's own knowledge of it can catch it.
    const canary = `canary-${randomBytes(16).toString('hex')}`;
    const set = await p.request('PUT', '/admin/v1/secrets/PAYMENT_TOKEN', { key: p.adminKey, body: { value: canary } });
    assert.equal(set.status, 201, set.text);
    const deployed = await p.deployFiles({
      'bulwark.yaml': manifest('returner', ['{ method: GET, path: / }'], ['permissions: { secrets: [PAYMENT_TOKEN] }']),
      'index.mjs': returner,
    });
    assert.equal(deployed.status, 201, deployed.text);
    for (const as of ['plain', 'base64', 'hex']) {
      const answer = await p.request('GET', `/fn/returner?as=${as}`, { key: p.adminKey });
      for (const needle of [canary, Buffer.from(canary).toString('base64'), Buffer.from(canary).toString('hex')]) {
        assert.ok(!answer.text.includes(needle), `${mode}/${as}: the secret left in the answer`);
      }
      if (mode === 'block') {
        assert.equal(answer.status, 502, answer.text);
        assert.equal(answer.json.error.code, 'BWK_E_DLP_RESPONSE_BLOCKED');
      } else {
        assert.equal(answer.status, 200, answer.text);
        assert.match(answer.text, /\[REDACTED:/);
      }
      const leak = await p.expectEvent('dlp.leak', answer.requestId);
      assert.equal(leak.function, 'returner');
      assert.equal(leak.detail?.action, mode === 'block' ? 'blocked' : 'redacted');
      assert.ok(!JSON.stringify(leak).includes(canary), 'the event names the leak, never the value');
    }
  }
});

test('only an admin key scoped to * adds a secret or kv grant; a scoped deployer keeps or narrows what is granted', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const set = await p.request('PUT', '/admin/v1/secrets/PAYMENT_TOKEN', { key: p.adminKey, body: { value: `canary-${randomBytes(8).toString('hex')}` } });
  assert.equal(set.status, 201, set.text);
  const deployer = await p.createKey({ role: 'deployer', functions: ['grabber'] });
  const files = (extra: string[]) => ({ 'bulwark.yaml': manifest('grabber', ['{ method: GET, path: / }'], extra), 'index.mjs': 'export const handler = async () => ({ statusCode: 200, body: "ok" });' });

  const grab = await p.deployFiles(files(['permissions: { secrets: [PAYMENT_TOKEN] }']), deployer.key);
  assert.equal(grab.status, 403, grab.text);
  assert.equal(grab.json.error.code, 'BWK_E_GUARD_FORBIDDEN');
  assert.equal((await p.versions('grabber')).active, undefined, 'nothing was stored');
  const kv = await p.deployFiles(files(['permissions: { kv: { orders: read } }']), deployer.key);
  assert.equal(kv.status, 403, kv.text);

  // The administrator grants; the deployer may then redeploy with the same grants, or fewer, not wider.
  const granted = await p.deployFiles(files(['permissions: { secrets: [PAYMENT_TOKEN], kv: { orders: read } }']));
  assert.equal(granted.status, 201, granted.text);
  const same = await p.deployFiles(files(['permissions: { secrets: [PAYMENT_TOKEN], kv: { orders: read } }', '# a code change']), deployer.key);
  assert.ok(same.status === 201 || same.status === 200, same.text);
  const widened = await p.deployFiles(files(['permissions: { secrets: [PAYMENT_TOKEN], kv: { orders: read-write } }']), deployer.key);
  assert.equal(widened.status, 403, widened.text);
  const narrowed = await p.deployFiles(files(['permissions: { kv: { orders: read } }']), deployer.key);
  assert.equal(narrowed.status, 201, narrowed.text);
});
