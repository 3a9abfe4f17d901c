// `bulwark audit tail|query|export` on a ledger written by a real gateway: what an operator reads, how
// filters narrow it, and that exported JSON lines and syslog messages carry the records unchanged.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runCli, startTestPlatform, tempDir } from './support/platform.ts';
import { recordHash } from '../src/audit/record.ts';
import { loadConfig } from '../src/config.ts';
import type { AuditRecord } from '../src/store/store.ts';

let home: string;
let work: string;
const ids: { unknown: string[]; badKey: string[] } = { unknown: [], badKey: [] };

before(async () => {
  home = await tempDir('audit-cli');
  work = await tempDir('audit-cli-work');
  const p = await startTestPlatform({ home });
  try {
    for (let i = 0; i < 3; i++) ids.unknown.push((await p.request('GET', `/probe-${i}`)).requestId);
    for (let i = 0; i < 2; i++) ids.badKey.push((await p.request('GET', '/admin/v1/functions', { key: `bwk_nope_${i}` })).requestId);
  } finally {
    await p.close();
  }
});
after(async () => {
  await rm(home, { recursive: true, force: true });
  await rm(work, { recursive: true, force: true });
});

const cli = (args: string[]) => runCli(['audit', ...args, '--home', home], {});

test('audit query: filters by action, request id and time; --json gives records with their details', async () => {
  const failed = await cli(['query', '--action', 'auth.failed', '--json']);
  assert.equal(failed.code, 0, failed.stderr);
  const records = JSON.parse(failed.stdout) as Array<AuditRecord & { details: Record<string, unknown> }>;
  assert.deepEqual(records.map((r) => r.requestId), ids.badKey);
  for (const r of records) {
    assert.equal(r.outcome, 'denied');
    assert.equal(r.actor, 'anonymous');
    assert.equal(r.details.surface, 'admin');
  }
  const one = await cli(['query', '--request-id', ids.unknown[1]!, '--json']);
  assert.deepEqual((JSON.parse(one.stdout) as AuditRecord[]).map((r) => r.action), ['route.unknown']);
  const future = await cli(['query', '--since', '2999-01-01T00:00:00Z']);
  assert.equal(future.stdout, 'no audit records\n');
  // A duration back from now: the records just written are within the last hour, none before it.
  const recent = await cli(['query', '--action', 'auth.failed', '--since', '1h', '--json']);
  assert.deepEqual((JSON.parse(recent.stdout) as AuditRecord[]).map((r) => r.requestId), ids.badKey);
  const older = await cli(['query', '--action', 'auth.failed', '--until', '1h']);
  assert.equal(older.stdout, 'no audit records\n');
  const bad = await cli(['query', '--since', 'yesterday-ish']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error BWK_E_CLI_USAGE: .*--since.*ISO time/);
});

test('audit tail: the last records, oldest first, as a table', async () => {
  const tail = await cli(['tail', '-n', '2']);
  assert.equal(tail.code, 0, tail.stderr);
  const lines = tail.stdout.trim().split('\n');
  assert.match(lines[0]!, /^SEQ\s+AT\s+ACTOR\s+ACTION\s+TARGET\s+OUTCOME\s+REQUEST$/);
  assert.deepEqual(lines.slice(1).map((l) => l.split(/\s+/).at(-1)), ids.badKey);
});

test('audit export: JSON lines that still hash to themselves, resumable with --after; a file is created 0600 and never overwritten', async () => {
  const all = await cli(['export']);
  assert.equal(all.code, 0, all.stderr);
  const records = all.stdout.trim().split('\n').map((l) => JSON.parse(l) as AuditRecord);
  assert.deepEqual(records.map((r) => r.seq), records.map((_, i) => i + 1));
  for (const r of records) assert.equal(recordHash(r), r.hash);
  const rest = await cli(['export', '--after', String(records.length - 2)]);
  assert.deepEqual(rest.stdout.trim().split('\n').map((l) => (JSON.parse(l) as AuditRecord).seq), [records.length - 1, records.length]);

  const file = join(work, 'audit.jsonl');
  const toFile = await cli(['export', '--out', file]);
  assert.equal(toFile.code, 0, toFile.stderr);
  assert.equal(await readFile(file, 'utf8'), all.stdout);
  assert.equal((await stat(file)).mode & 0o777, 0o600);
  const again = await cli(['export', '--out', file]);
  assert.equal(again.code, 1);
  assert.equal(await readFile(file, 'utf8'), all.stdout);
});

test('audit export --syslog tcp://: every record reaches a real collector as an octet-counted RFC 5424 message', async () => {
  let received = Buffer.alloc(0);
  const server = createServer((s) => s.on('data', (d: Buffer) => { received = Buffer.concat([received, d]); }));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const port = (server.address() as AddressInfo).port;
    const sent = await cli(['export', '--syslog', `tcp://127.0.0.1:${port}`]);
    assert.equal(sent.code, 0, sent.stderr);
    const count = Number(/(\d+) record\(s\) exported/.exec(sent.stderr)?.[1]);
    await new Promise((r) => setTimeout(r, 50));
    const messages: string[] = [];
    let rest = received;
    while (rest.length > 0) {
      const space = rest.indexOf(0x20);
      const len = Number(rest.subarray(0, space).toString());
      messages.push(rest.subarray(space + 1, space + 1 + len).toString());
      rest = rest.subarray(space + 1 + len);
    }
    assert.equal(messages.length, count);
    assert.ok(count >= 5);
    for (const id of [...ids.unknown, ...ids.badKey]) {
      assert.ok(messages.some((m) => /^<1\d\d>1 \S+ \S+ bulwark - (route\.unknown|auth\.failed) \[bulwark@32473 seq="\d+"/.test(m) && m.includes(`requestId="${id}"`)), id);
    }
  } finally {
    server.close();
  }
  const refused = await cli(['export', '--syslog', 'tcp://127.0.0.1:1']);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error BWK_E_AUDIT_SYSLOG_FAILED: Could not send to the syslog collector tcp:\/\/127\.0\.0\.1:1/);
});

test('audit: a home without a ledger is a clear error', async () => {
  const empty = await runCli(['audit', 'verify', '--home', join(work, 'nothing-here')], {});
  assert.equal(empty.code, 1);
  assert.match(empty.stderr, /^error BWK_E_AUDIT_NO_LEDGER: No audit ledger in this home/);
});

test('audit.enabled false: nothing is recorded and no node key is created; invalid audit config names the key', async () => {
  const p = await startTestPlatform({ overrides: { audit: { enabled: false } } });
  const offHome = p.home;
  try {
    const a = await p.request('GET', '/admin/v1/functions', { key: 'bwk_nope_off' });
    assert.equal(a.status, 401);
    await p.expectEvent('auth.failed', a.requestId);
    const db = new DatabaseSync(join(offHome, 'bulwark.sqlite'), { readOnly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM audit_records').get() as { n: number }).n, 0);
    } finally {
      db.close();
    }
    await assert.rejects(stat(join(offHome, 'audit-node.key')), /ENOENT/);
  } finally {
    await p.close();
  }
  const bad = await tempDir('audit-config');
  try {
    await writeFile(join(bad, 'config.yaml'), 'audit: { checkpointEvery: 0 }\n');
    assert.throws(() => loadConfig(bad, {}, {}), (err: Error & { code?: string }) =>
      err.code === 'BWK_E_CONFIG_INVALID' && /audit\.checkpointEvery must be >= 1/.test(err.message));
  } finally {
    await rm(bad, { recursive: true, force: true });
  }
});
