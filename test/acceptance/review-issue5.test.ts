// Attack tests from the security review of the audit ledger, metrics/tracing and lifecycle features,
// each against a real gateway (real HTTP, sandboxes, store, CLI, OTLP receiver):
//   1. a sandbox timeout's security event is committed to the ledger before the 504 goes out;
//   2. a request waiting in the concurrency queue when its function is disabled must not run it (it
//      passed the disabled check before it queued);
//   3. a deployer must not lift an admin's disable by `rm` + redeploy (removal deletes the disabled record);
//   4. a caller's sampled traceparent must not override sampleRatio (forcing every request to be traced);
//   5. `bulwark audit` on a file that is not a ledger fails with a clear error, and reads a ledger whose
//      details were tampered into non-JSON (verify names the record);
//   6. a credential cut by the 200-character path limit of route.unknown is redacted before the cut;
//   (held) credentials sent in query strings, headers, body field names and scrape tokens reach neither
//   the ledger nor its files, the node key is never exported or logged; /metrics path variants and
//   near-miss tokens are refused; a scoped deployer cannot disable or enable outside its rights.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { assertError, echoHandler, manifest, runCli, startTestPlatform, tempDir, until } from '../support/platform.ts';
import { parseMetrics } from '../support/prometheus.ts';
import { startOtlpReceiver } from '../support/otlp.ts';

async function metricsToken(home: string): Promise<string> {
  return (await readFile(join(home, 'metrics-token'), 'utf8')).trim();
}

test('a sandbox timeout is on record (ledger committed, subscribers told) before the caller is answered', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const deployed = await p.deployFiles({
    'bulwark.yaml': manifest('stuck', ['{ method: GET, path: /, auth: public }'], ['limits: { timeout: 1s }']),
    'index.mjs': 'export const handler = async () => { await new Promise((r) => setTimeout(r, 60_000)); };\n',
  });
  assert.equal(deployed.status, 201, deployed.text);
  // Subscribers see an event only after the ledger committed it (auditedBus). The gateway logs
  // "request failed" just before it writes the 504: that line must not exist yet when the event arrives.
  let answeredBeforeRecorded: boolean | undefined;
  const unsubscribe = p.platform.bus.subscribe('security', (e) => {
    if (e.type !== 'sandbox.timeout' || e.function !== 'stuck') return;
    answeredBeforeRecorded ??= p.logLines().some((l) => l.includes(String(e.requestId)) && l.includes('request failed'));
  });
  t.after(unsubscribe);
  const answer = await p.request('GET', '/fn/stuck/');
  assertError(answer, 504, 'BWK_E_SANDBOX_TIMEOUT', p.secrets);
  await p.expectEvent('sandbox.timeout', answer.requestId);
  assert.equal(answeredBeforeRecorded, false, 'the 504 was sent before its sandbox.timeout record was committed');
});

test('disable is a kill switch for requests already queued for a concurrency slot: the queued one is refused, not run', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  // limits.rate 2/h: the slot holder takes one token; of the two requests sent next, exactly one gets the
  // other token (it passed the disabled check and the rate guard, and goes on to queue for the slot),
  // the other is refused with 429. That 429 tells the test, without sleeping, that one is on its way.
  const deployed = await p.deployFiles({
    'bulwark.yaml': manifest('slow', ['{ method: GET, path: /, auth: public }'], ['limits: { concurrency: 1, queue: 5, timeout: 20s, rate: 2/h }']),
    'index.mjs': echoHandler,
  });
  assert.equal(deployed.status, 201, deployed.text);
  const holder = p.request('GET', '/fn/slow/?sleep=3000');
  const holderStarted = await until(10_000, async () => {
    const text = (await p.request('GET', '/metrics', { headers: { authorization: `Bearer ${await metricsToken(p.home)}` } })).text;
    return parseMetrics(text).value('bulwark_sandbox_workers', { function: 'slow', state: 'busy' }) >= 1 ? true : undefined;
  });
  assert.ok(holderStarted, 'the first request holds the slot');
  const waiting = [p.request('GET', '/fn/slow/'), p.request('GET', '/fn/slow/')];
  const refused = await Promise.race(waiting.map(async (w, i) => ((await w).status === 429 ? i : await new Promise<number>(() => {}))));
  const queued = waiting[1 - refused]!;
  const disabled = await p.request('POST', '/admin/v1/functions/slow/disable', { key: p.adminKey, body: { reason: 'incident 42' } });
  assert.equal(disabled.status, 200, disabled.text);
  assert.equal((await holder).status, 200, 'the invocation already running finishes (documented)');
  assertError(await queued, 403, 'BWK_E_GATEWAY_FUNCTION_DISABLED', p.secrets);
  // The refusal came after the guard chain, not from the check before it: only events that went
  // through dispatch are counted in bulwark_errors_total.
  const scrape = parseMetrics((await p.request('GET', '/metrics', { headers: { authorization: `Bearer ${await metricsToken(p.home)}` } })).text);
  assert.equal(scrape.value('bulwark_errors_total', { function: 'slow', code: 'BWK_E_GATEWAY_FUNCTION_DISABLED' }), 1, 'the queued request was refused after it waited');
  assert.equal(scrape.value('bulwark_invocations_total', { function: 'slow', source: 'http', outcome: 'ok', status_class: '2xx' }), 1, 'only the first ran');
});

test('a deployer cannot lift an admin\'s disable by removing and redeploying the function', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const files = (name: string) => ({ 'bulwark.yaml': manifest(name, ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler });
  for (const name of ['victim', 'other']) assert.equal((await p.deployFiles(files(name))).status, 201);
  // A CI deployer for every function: offboarding leaves '*' keys untouched, so after a removal it could
  // deploy the name again, and the new function would start without the disable.
  const deployer = await p.createKey({ role: 'deployer', functions: ['*'] });
  assert.equal((await p.request('POST', '/admin/v1/functions/victim/disable', { key: p.adminKey, body: { reason: 'incident 7' } })).status, 200);
  assertError(await p.request('GET', '/fn/victim/'), 403, 'BWK_E_GATEWAY_FUNCTION_DISABLED', p.secrets);
  assertError(await p.request('POST', '/admin/v1/functions/victim/enable', { key: deployer.key, body: { reason: 'mine' } }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);

  const removal = await p.request('DELETE', '/admin/v1/functions/victim', { key: deployer.key });
  assertError(removal, 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
  const denied = await p.expectEvent('authz.denied', removal.requestId);
  assert.match(String(denied.detail?.what), /while it is disabled/);
  // Nothing was offboarded: the function, its disable and the deployer's scope are as they were.
  assert.equal((await p.versions('victim')).active, 1);
  assertError(await p.request('GET', '/fn/victim/'), 403, 'BWK_E_GATEWAY_FUNCTION_DISABLED', p.secrets);
  // A redeploy keeps it disabled.
  assert.equal((await p.deployFiles({ ...files('victim'), 'index.mjs': `${echoHandler}\n// v2\n` }, deployer.key)).status, 201);
  assertError(await p.request('GET', '/fn/victim/'), 403, 'BWK_E_GATEWAY_FUNCTION_DISABLED', p.secrets);

  // The deployer still removes what is not disabled; an admin removes the disabled one.
  assert.equal((await p.request('DELETE', '/admin/v1/functions/other', { key: deployer.key })).status, 200);
  assert.equal((await p.request('DELETE', '/admin/v1/functions/victim', { key: p.adminKey })).status, 200);
});

test('a caller\'s sampled traceparent does not override sampleRatio: with 0, nothing is exported', async (t) => {
  const receiver = await startOtlpReceiver();
  t.after(() => receiver.close());
  const p = await startTestPlatform({ overrides: { tracing: { enabled: true, otlpEndpoint: receiver.url, serviceName: 'bulwark-review', sampleRatio: 0 } } });
  const traceIds: string[] = [];
  try {
    assert.equal((await p.deployFiles({ 'bulwark.yaml': manifest('traced', ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler })).status, 201);
    for (let i = 0; i < 10; i++) {
      // A trace id of the caller's choosing, flagged sampled (01).
      const traceId = `${'0'.repeat(31)}${i + 1}`.slice(-32);
      traceIds.push(traceId);
      const answer = await p.request('GET', '/fn/traced/', { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
      assert.equal(answer.status, 200, answer.text);
    }
  } finally {
    // Closing flushes the batch exporter: whatever was recorded is sent now.
    await p.close();
  }
  assert.deepEqual(receiver.spans().filter((s) => traceIds.includes(s.traceId)).map((s) => s.name), []);
});

test('audit verify and query on a file that is not a ledger: a clear BWK_E_AUDIT_UNREADABLE, exit 1, no stack', async (t) => {
  const garbage = await tempDir('audit-garbage');
  const impostor = await tempDir('audit-impostor');
  t.after(async () => {
    for (const dir of [garbage, impostor]) await rm(dir, { recursive: true, force: true });
  });
  await writeFile(join(garbage, 'bulwark.sqlite'), 'not a database '.repeat(500));
  // An SQLite file with tables of the ledger's names but not its columns.
  const db = new DatabaseSync(join(impostor, 'bulwark.sqlite'));
  db.exec('CREATE TABLE audit_records (x TEXT); CREATE TABLE audit_checkpoints (y TEXT); INSERT INTO audit_records VALUES (\'z\');');
  db.close();
  for (const home of [garbage, impostor]) {
    for (const args of [['audit', 'verify'], ['audit', 'query'], ['audit', 'export']]) {
      const result = await runCli([...args, '--home', home], {});
      assert.equal(result.code, 1, `${args.join(' ')}: ${result.stderr}`);
      assert.match(result.stderr, /BWK_E_AUDIT_UNREADABLE: The audit ledger cannot be read: bulwark\.sqlite: /, `${args.join(' ')}: ${result.stderr}`);
      assert.doesNotMatch(result.stderr, /\n\s+at |BWK_E_CLI_UNEXPECTED/);
    }
  }
});

test('a record whose details were replaced by non-JSON: verify names it, query and tail still read the ledger', async (t) => {
  const home = await tempDir('audit-nonjson');
  t.after(() => rm(home, { recursive: true, force: true }));
  const p = await startTestPlatform({ home });
  try {
    for (let i = 0; i < 3; i++) assert.equal((await p.request('GET', `/no-such-route-${i}`)).status, 404);
  } finally {
    await p.close();
  }
  const db = new DatabaseSync(join(home, 'bulwark.sqlite'));
  const seq = (db.prepare("SELECT seq FROM audit_records WHERE action = 'route.unknown' ORDER BY seq LIMIT 1").get() as { seq: number }).seq;
  db.exec('DROP TRIGGER audit_records_no_update');
  db.prepare('UPDATE audit_records SET details = ? WHERE seq = ?').run('{"path": "/no-such-route-0"', seq);
  db.close();
  const verified = await runCli(['audit', 'verify', '--home', home], {});
  assert.equal(verified.code, 1, verified.stderr);
  assert.match(verified.stderr, new RegExp(`BWK_E_AUDIT_VERIFY_FAILED: Audit ledger verification failed at record ${seq}: record ${seq} does not match its hash`));
  for (const args of [['audit', 'query', '--json'], ['audit', 'tail', '--json']]) {
    const read = await runCli([...args, '--home', home], {});
    assert.equal(read.code, 0, `${args.join(' ')}: ${read.stderr}`);
    const records = JSON.parse(read.stdout) as Array<{ seq: number; details: unknown }>;
    assert.equal(records.find((r) => r.seq === seq)?.details, '{"path": "/no-such-route-0"', 'the stored text, as it is');
  }
});

test('credentials in query strings, headers, body field names and scrape tokens reach neither the ledger nor its files', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  assert.equal((await p.deployFiles({ 'bulwark.yaml': manifest('inj', ['{ method: POST, path: / }']), 'index.mjs': echoHandler })).status, 201);
  const victim = await p.createKey({ role: 'invoker', functions: ['inj'] });
  // bwk_<12-char id>_<secret>: the secret is base64url and may itself hold a `_`.
  const secretPart = /^bwk_[A-Za-z0-9]{12}_(.+)$/.exec(victim.key)![1]!;
  const attempts = [
    p.request('POST', `/fn/inj/?token=${victim.key}&api_key=${victim.key}`, { body: { q: "' OR 1=1 --" }, key: victim.key }),
    p.request('POST', '/fn/inj/', { body: { [victim.key]: "' OR 1=1 --", note: `${victim.key} ' OR 1=1 --` }, key: victim.key }),
    p.request('POST', '/fn/inj/', { body: {}, headers: { authorization: `Bearer ${victim.key}x`, 'x-api-key': victim.key } }),
    p.request('GET', `/fn/nope/${victim.key}`),
    p.request('GET', `/admin/v1/nothing/${victim.key}`, { key: `${victim.key}x` }),
    p.request('GET', '/metrics', { headers: { authorization: `Bearer ${victim.key}` } }),
  ];
  for (const answer of await Promise.all(attempts)) assert.ok(answer.status >= 400, `refused: ${answer.status} ${answer.text.slice(0, 200)}`);
  await p.platform.close();
  const query = await runCli(['audit', 'query', '--json', '--limit', '1000', '--home', p.home], {});
  assert.equal(query.code, 0, query.stderr);
  const records = JSON.parse(query.stdout) as Array<{ action: string }>;
  for (const action of ['injection.detected', 'auth.failed', 'route.unknown']) assert.ok(records.some((r) => r.action === action), `${action} recorded`);
  assert.ok(!query.stdout.includes(secretPart.slice(0, 12)), 'no part of the key in the records');
  for (const file of await readdir(p.home)) {
    if (!file.startsWith('bulwark.sqlite')) continue;
    // -wal and -shm may be going away as the last connection (the log writer thread's) closes.
    const bytes = await readFile(join(p.home, file)).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return Buffer.alloc(0);
      throw err;
    });
    assert.ok(!bytes.includes(secretPart.slice(0, 12)), `${file} holds no part of the key`);
  }
  // The node's private key is nowhere but its own file: not in the exported checkpoint, not in the log.
  const exported = join(p.home, 'checkpoint.json');
  const exportRun = await runCli(['audit', 'export', '--checkpoint-out', exported, '--home', p.home], {});
  assert.equal(exportRun.code, 0, exportRun.stderr);
  const privatePem = (await readFile(join(p.home, 'audit-node.key'), 'utf8')).split('\n').filter((l) => l && !l.startsWith('-----')).join('');
  assert.ok(!(await readFile(exported, 'utf8')).includes(privatePem.slice(-40)));
  assert.ok(!p.logLines().some((l) => l.includes(privatePem.slice(-40)) || l.includes('PRIVATE KEY')));
});

test('(held) /metrics is not reachable without its token through path variants; a scoped deployer cannot disable outside its scope', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  assert.equal((await p.deployFiles({ 'bulwark.yaml': manifest('mine', ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler })).status, 201);
  assert.equal((await p.deployFiles({ 'bulwark.yaml': manifest('theirs', ['{ method: GET, path: /, auth: public }']), 'index.mjs': echoHandler })).status, 201);
  const token = await metricsToken(p.home);
  assert.equal((await p.request('GET', '/metrics', { headers: { authorization: `Bearer ${token}` } })).status, 200);
  for (const path of ['/metrics', '/metrics/', '/METRICS', '/metrics;x', '/%6detrics', '//metrics', '/fn/../metrics', '/metrics%00', '/metrics?x=1', '/fn/mine/../../metrics', '/admin/v1/../../metrics']) {
    const answer = await p.request('GET', path, { key: p.adminKey });
    assert.notEqual(answer.status, 200, `${path} answered 200`);
    assert.doesNotMatch(answer.text, /bulwark_invocations_total/, `${path} served metrics`);
  }
  // A token one character off, with trailing junk, or sent as an API key header is refused.
  for (const headers of [{ authorization: `Bearer ${token.slice(0, -1)}` } as Record<string, string>, { authorization: `Bearer ${token}x` }, { 'x-api-key': token }, { authorization: `Basic ${token}` }]) {
    assert.equal((await p.request('GET', '/metrics', { headers })).status, 401, JSON.stringify(Object.keys(headers)));
  }
  assert.ok(!p.logLines().some((l) => l.includes(token)), 'the scrape token is never logged');

  const deployer = await p.createKey({ role: 'deployer', functions: ['mine'] });
  assertError(await p.request('POST', '/admin/v1/functions/theirs/disable', { key: deployer.key, body: { reason: 'sabotage' } }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
  assertError(await p.request('POST', '/admin/v1/functions/mine/enable', { key: deployer.key, body: { reason: 'x' } }), 403, 'BWK_E_GUARD_FORBIDDEN', p.secrets);
  assert.equal((await p.request('GET', '/fn/theirs/')).status, 200);
});

test('a credential cut by the 200-character path limit of route.unknown is redacted, not recorded in part', async (t) => {
  const p = await startTestPlatform();
  t.after(() => p.close());
  const victim = await p.createKey({ role: 'invoker', functions: ['*'] });
  // bwk_<12-char id>_<secret>: the secret is base64url and may itself hold a `_`.
  const secretPart = /^bwk_[A-Za-z0-9]{12}_(.+)$/.exec(victim.key)![1]!;
  // The key starts so that the cut at 200 keeps its id and 15 characters of its secret: too few for
  // the credential shape (16+), so redaction after the cut cannot recognise it.
  const keep = victim.key.length - secretPart.length + 15;
  for (const prefix of ['/fn/nope/', '/nope/']) {
    const path = `${prefix}${'a'.repeat(200 - prefix.length - keep - 1)}/${victim.key}`;
    const answer = await p.request('GET', path);
    assertError(answer, 404, 'BWK_E_GATEWAY_NOT_FOUND', p.secrets);
    assert.ok(!answer.text.includes(secretPart.slice(0, 15)), 'the 404 message holds no part of the key');
    const event = await p.expectEvent('route.unknown', answer.requestId);
    assert.ok(!String(event.detail?.path).includes(secretPart.slice(0, 15)), `${prefix}: the event path holds part of the key: ${String(event.detail?.path)}`);
    assert.match(String(event.detail?.path), /\[REDACTED/);
  }
  await p.platform.close();
  const query = await runCli(['audit', 'query', '--json', '--action', 'route.unknown', '--home', p.home], {});
  assert.equal(query.code, 0, query.stderr);
  assert.ok(!query.stdout.includes(secretPart.slice(0, 15)), 'the ledger holds no part of the key');
});
