// Acceptance: the audit ledger is tamper-evident and acknowledged records are durable.
//   1. A ledger written by a real gateway is tampered with directly in its SQLite file (a detail edited,
//      a row deleted, two rows swapped, a row inserted, the tail truncated after an exported checkpoint,
//      a checkpoint forged): the real `bulwark audit verify` fails naming the first bad record each time,
//      and the untouched ledger verifies.
//   2. A gateway process is killed with SIGKILL while 10 concurrent clients cause audited events (bad
//      keys → 401 auth.failed); after a restart the ledger verifies and every request that got an answer
//      has its record.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { cp, rm, writeFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { runCli, startTestPlatform, tempDir } from '../support/platform.ts';
import { startGatewayProcess, stopGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';

const DB = 'bulwark.sqlite';
const cleanup: string[] = [];
after(async () => {
  for (const dir of cleanup) await rm(dir, { recursive: true, force: true });
});

async function verify(home: string, extra: string[] = []) {
  return runCli(['audit', 'verify', '--home', home, ...extra], {});
}

/** Opens a copy's database for tampering, with the append-only triggers dropped (as an attacker would). */
function tamper(home: string, fn: (db: DatabaseSync) => void): void {
  const db = new DatabaseSync(join(home, DB));
  try {
    db.exec('DROP TRIGGER audit_records_no_update; DROP TRIGGER audit_records_no_delete;');
    fn(db);
  } finally {
    db.close();
  }
}

function assertFailsAt(result: { code: number | null; stderr: string }, seq: number, why: RegExp): void {
  assert.equal(result.code, 1, result.stderr);
  assert.match(result.stderr, new RegExp(`error BWK_E_AUDIT_VERIFY_FAILED: Audit ledger verification failed at record ${seq}: `));
  assert.match(result.stderr, why);
}

test('audit verify: an untouched ledger verifies; each kind of tampering is caught at the first bad record', async () => {
  const home = await tempDir('audit-home');
  const work = await tempDir('audit-work');
  cleanup.push(home, work);
  const p = await startTestPlatform({ home, overrides: { audit: { checkpointEvery: 5 } } });
  try {
    // Audited events of several kinds: unknown routes and refused credentials, each with a request id.
    for (let i = 0; i < 20; i++) {
      const a = await p.request('GET', `/no-such-route-${i}`);
      assert.equal(a.status, 404);
      const b = await p.request('GET', '/admin/v1/functions', { key: `bwk_wrong_${i}` });
      assert.equal(b.status, 401);
    }
  } finally {
    await p.close();
  }
  const db = new DatabaseSync(join(home, DB), { readOnly: true });
  const total = (db.prepare('SELECT max(seq) AS n FROM audit_records').get() as { n: number }).n;
  const hashOf = (seq: number) => (db.prepare('SELECT hash FROM audit_records WHERE seq = ?').get(seq) as { hash: string }).hash;
  const hash14 = hashOf(14);
  db.close();
  assert.ok(total >= 40, `expected at least 40 records, got ${total}`);

  const ok = await verify(home);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, new RegExp(`audit ledger ok: ${total} records`));
  const checkpointFile = join(work, 'checkpoint.json');
  const exported = await runCli(['audit', 'export', '--home', home, '--checkpoint-out', checkpointFile], {});
  assert.equal(exported.code, 0, exported.stderr);
  assert.match(exported.stderr, new RegExp(`checkpoint at record ${total} written`));
  const okWithCheckpoint = await verify(home, ['--checkpoint', checkpointFile]);
  assert.equal(okWithCheckpoint.code, 0, okWithCheckpoint.stderr);

  let n = 0;
  const copy = async (): Promise<string> => {
    const dir = join(work, `copy-${++n}`);
    await cp(home, dir, { recursive: true });
    return dir;
  };

  // A detail edited in place.
  const edited = await copy();
  tamper(edited, (d) => d.prepare('UPDATE audit_records SET details = ? WHERE seq = 7').run('{"reason":"nothing happened"}'));
  assertFailsAt(await verify(edited), 7, /modified/);

  // A row deleted.
  const deleted = await copy();
  tamper(deleted, (d) => d.prepare('DELETE FROM audit_records WHERE seq = 9').run());
  assertFailsAt(await verify(deleted), 9, /missing/);

  // Two rows swapped: each keeps the other's content under its own seq.
  const swapped = await copy();
  tamper(swapped, (d) => {
    const cols = 'at, actor, action, target, outcome, request_id, source_ip, details, prev_hash, hash';
    d.exec(`CREATE TEMP TABLE r11 AS SELECT ${cols} FROM audit_records WHERE seq = 11`);
    d.exec(`UPDATE audit_records SET (${cols}) = (SELECT ${cols} FROM audit_records WHERE seq = 12) WHERE seq = 11`);
    d.exec(`UPDATE audit_records SET (${cols}) = (SELECT ${cols} FROM r11) WHERE seq = 12`);
  });
  assertFailsAt(await verify(swapped), 11, /does not match its hash|does not follow/);

  // A row inserted at 15, the rest renumbered to make room.
  const inserted = await copy();
  tamper(inserted, (d) => {
    for (let seq = total; seq >= 15; seq--) d.prepare('UPDATE audit_records SET seq = seq + 1 WHERE seq = ?').run(seq);
    d.prepare(`INSERT INTO audit_records (seq, at, actor, action, target, outcome, request_id, source_ip, details, prev_hash, hash)
      VALUES (15, '2026-01-01T00:00:00.000Z', 'key_admin', 'key.revoked', 'key_x', 'ok', NULL, NULL, '{}', ?, ?)`).run(hash14, 'f'.repeat(64));
  });
  assertFailsAt(await verify(inserted), 15, /modified|does not follow/);

  // The tail truncated after the exported checkpoint, stored checkpoints beyond it deleted too: only the
  // exported checkpoint can tell.
  const truncated = await copy();
  const keep = total - 10;
  tamper(truncated, (d) => {
    d.prepare('DELETE FROM audit_records WHERE seq > ?').run(keep);
    d.prepare('DELETE FROM audit_checkpoints WHERE seq > ?').run(keep);
  });
  assertFailsAt(await verify(truncated, ['--checkpoint', checkpointFile]), keep + 1, /truncated/);
  // With the stored checkpoints left in place, the ledger alone shows it.
  const truncatedOnly = await copy();
  tamper(truncatedOnly, (d) => d.prepare('DELETE FROM audit_records WHERE seq > ?').run(keep));
  assertFailsAt(await verify(truncatedOnly), keep + 1, /truncated/);

  // A checkpoint forged over a made-up head.
  const forged = await copy();
  tamper(forged, (d) => d.prepare('UPDATE audit_checkpoints SET hash = ? WHERE seq = 10').run('0'.repeat(64)));
  assertFailsAt(await verify(forged), 10, /not genuine/);

  // A tampered exported checkpoint is refused as such.
  const badFile = join(work, 'bad-checkpoint.json');
  const cpText = JSON.parse(await (await import('node:fs/promises')).readFile(checkpointFile, 'utf8')) as { seq: number };
  await writeFile(badFile, JSON.stringify({ ...cpText, seq: cpText.seq + 1 }));
  const refused = await verify(home, ['--checkpoint', badFile]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /error BWK_E_AUDIT_CHECKPOINT_INVALID: .*signature does not verify/);
});

/** One client: bad-key admin requests, one after another, until the gateway dies. Returns the answered request ids. */
function client(gw: GatewayProcess, n: number, answered: string[], statuses: number[]): Promise<void> {
  const url = new URL('/admin/v1/functions', gw.url);
  return new Promise((resolve) => {
    let i = 0;
    const next = () => {
      const req = httpRequest(url, { headers: { authorization: `Bearer bwk_bogus_${n}_${i++}`, connection: 'close' } }, (res) => {
        const id = res.headers['x-request-id'];
        res.resume();
        res.on('end', () => {
          // An answer means the gateway sent it; its record must have been committed before.
          if (typeof id === 'string') answered.push(id);
          statuses.push(res.statusCode ?? 0);
          next();
        });
        res.on('error', () => resolve());
      });
      req.on('error', () => resolve());
      req.end();
    };
    next();
  });
}

test('audit ledger: kill -9 under 10 concurrent clients loses no answered event and leaves a verifiable chain', async () => {
  const home = await tempDir('audit-crash');
  cleanup.push(home);
  // The test runner's own address must not be blocked or rate limited by its own bad keys.
  await writeFile(join(home, 'config.yaml'), 'ipBlock: { allowlist: ["127.0.0.1"] }\nrateLimit: { perAddress: null }\n');
  const answered: string[] = [];
  const statuses: number[] = [];
  const gw = await startGatewayProcess(home);
  try {
    const clients = Array.from({ length: 10 }, (_, n) => client(gw, n, answered, statuses));
    // Kill once every client has had answers, while all are mid-request.
    const deadline = Date.now() + 20_000;
    while (answered.length < 200 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    gw.child.kill('SIGKILL');
    await gw.exited;
    await Promise.all(clients);
  } finally {
    await stopGatewayProcess(gw);
  }
  assert.ok(answered.length >= 200, `only ${answered.length} answers before the deadline`);
  assert.ok(statuses.every((s) => s === 401), `unexpected statuses: ${[...new Set(statuses)].join(',')}`);

  // Restart on the same home (the ledger continues the chain), then stop cleanly.
  const again = await startGatewayProcess(home);
  const after = await fetch(new URL('/admin/v1/functions', again.url), { headers: { authorization: 'Bearer bwk_bogus_after' } });
  assert.equal(after.status, 401);
  const afterId = after.headers.get('x-request-id')!;
  await stopGatewayProcess(again);

  const result = await verify(home);
  assert.equal(result.code, 0, result.stderr);
  const db = new DatabaseSync(join(home, DB), { readOnly: true });
  try {
    const recorded = new Set((db.prepare("SELECT request_id FROM audit_records WHERE action = 'auth.failed'").all() as Array<{ request_id: string }>).map((r) => r.request_id));
    const missing = answered.filter((id) => !recorded.has(id));
    assert.deepEqual(missing, [], `${missing.length} of ${answered.length} answered requests have no record`);
    assert.ok(recorded.has(afterId), 'the request after the restart is recorded');
  } finally {
    db.close();
  }
});
