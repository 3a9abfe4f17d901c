import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { DATABASE_FILE } from '../store/sqlite/database.ts';
import { createInProcessBus } from '../bus/in-process/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import { auditedBus, openAuditLedger } from './ledger.ts';
import { loadOrCreateNodeKey, NODE_KEY_FILE, readNodeKey } from './node-key.ts';
import { verifyLedger } from './verify.ts';
import { GENESIS_HASH, recordHash } from './record.ts';

const silent = createLogger({ level: 'silent' });

async function tempHome(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-audit-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'home');
}

const event = (n: number, over: Partial<SecurityEvent> = {}): SecurityEvent => ({
  type: 'auth.failed', at: new Date(Date.UTC(2026, 3, 1, 0, 0, n)).toISOString(), requestId: `req-${n}`, sourceIp: '127.0.0.1',
  actor: 'anonymous', detail: { reason: 'unknown key' }, ...over,
});

test('ledger: appends of one turn share a transaction, chain from genesis, and a checkpoint is signed every N', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  const key = loadOrCreateNodeKey(home);
  const ledger = await openAuditLedger({ checkpointEvery: 4, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key, logger: silent });
  // Ten appends in the same turn are one commit: the every-4 checkpoint rule is checked once per
  // commit, so one commit of ten gives a single checkpoint at 10 (ten commits would give 4 and 8).
  await Promise.all(Array.from({ length: 10 }, (_, i) => ledger.append(event(i))));
  const records = await store.audit.range(1, 100);
  assert.deepEqual(records.map((r) => r.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(records[0]!.prevHash, GENESIS_HASH);
  for (let i = 1; i < records.length; i++) assert.equal(records[i]!.prevHash, records[i - 1]!.hash);
  for (const r of records) assert.equal(recordHash(r), r.hash);
  assert.deepEqual((await store.audit.checkpoints()).map((c) => c.seq), [10]);
  // Two more turns of 3: the second crosses 4 since the last checkpoint.
  await Promise.all([1, 2, 3].map((i) => ledger.append(event(10 + i))));
  await Promise.all([1, 2, 3].map((i) => ledger.append(event(13 + i))));
  assert.deepEqual((await store.audit.checkpoints()).map((c) => c.seq), [10, 16]);
  await ledger.append(event(17));
  await ledger.close();
  // close() signs a final checkpoint over what the last one did not cover.
  assert.deepEqual((await store.audit.checkpoints()).map((c) => c.seq), [10, 16, 17]);
  await assert.rejects(ledger.append(event(18)), /closed/);
  const result = await verifyLedger(store.audit, { key, pageSize: 5 });
  assert.deepEqual({ ok: result.ok, records: result.records, checkpoints: result.checkpointsVerified }, { ok: true, records: 17, checkpoints: 3 });
  await store.close();
  assert.equal((await stat(join(home, NODE_KEY_FILE))).mode & 0o777, 0o600);
});

test('ledger: a restart continues the chain; the node key is kept; a key readable by others is refused', async (t) => {
  const home = await tempHome(t);
  for (let round = 0; round < 2; round++) {
    const store = await openSqliteStore(home);
    const ledger = await openAuditLedger({ checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 2 }, { log: store.audit, key: loadOrCreateNodeKey(home), logger: silent });
    // maxBatch 2: five appends of one turn become three commits, still one chain.
    await Promise.all([0, 1, 2, 3, 4].map((i) => ledger.append(event(round * 10 + i))));
    await ledger.close();
    await store.close();
  }
  const store = await openSqliteStore(home);
  t.after(() => store.close());
  const result = await verifyLedger(store.audit, { key: readNodeKey(home)! });
  assert.equal(result.ok, true, JSON.stringify(result.problem));
  assert.equal(result.records, 10);
  assert.equal(result.checkpointsVerified, 2);
  const { chmod } = await import('node:fs/promises');
  await chmod(join(home, NODE_KEY_FILE), 0o640);
  assert.throws(() => readNodeKey(home), (err: Error & { code?: string }) => err.code === 'BWK_E_AUDIT_KEY_PERMISSIONS');
});

test('ledger: the bus delivers a security event only after its record committed; other publishes are untouched', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  const ledger = await openAuditLedger({ checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key: loadOrCreateNodeKey(home), logger: silent });
  // after hooks run in the order they are added: the ledger's final checkpoint needs the store open.
  t.after(async () => { await ledger.close(); await store.close(); });
  const bus = auditedBus(createInProcessBus(), ledger, silent);
  const seenWhenDelivered: Array<number | undefined> = [];
  bus.subscribe('security', async () => { seenWhenDelivered.push((await store.audit.latest())?.seq); });
  await bus.publish('security', event(1, { detail: { reason: 'unknown key', authorization: 'Bearer bwk_live_abc', nested: { password: 'hunter2' } } }));
  assert.equal((await store.audit.latest())?.seq, 1);
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(seenWhenDelivered, [1]);
  // Secret-named fields never reach the ledger in clear.
  const details = (await store.audit.latest())!.details;
  assert.doesNotMatch(details, /bwk_live_abc|hunter2/);
  assert.match(details, /\[REDACTED\]/);
  await bus.publishMessage({ subject: 'orders', data: new Uint8Array([1]), headers: {} });
  assert.equal((await store.audit.latest())?.seq, 1);
});

test('ledger: a failed commit rejects its appends, the head is reloaded, and the next batch chains on what is stored', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  const key = loadOrCreateNodeKey(home);
  const ledger = await openAuditLedger({ checkpointEvery: 1000, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key, logger: silent });
  t.after(async () => { await ledger.close(); await store.close(); });
  await ledger.append(event(1));
  // Another writer (a second connection, as a second gateway would be) appends record 2 behind our back.
  const other = new DatabaseSync(join(home, DATABASE_FILE));
  const latest = (await store.audit.latest())!;
  const intruder = { seq: 2, at: event(2).at, actor: 'x', action: 'auth.failed', target: '', outcome: 'denied', requestId: null, sourceIp: null, details: '{}', prevHash: latest.hash };
  other.prepare('INSERT INTO audit_records (seq, at, actor, action, target, outcome, request_id, source_ip, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)')
    .run(intruder.seq, intruder.at, intruder.actor, intruder.action, intruder.target, intruder.outcome, null, null, intruder.details, intruder.prevHash, recordHash(intruder));
  other.close();
  await assert.rejects(ledger.append(event(3)), (err: Error & { code?: string }) => err.code === 'BWK_E_AUDIT_CONFLICT');
  await ledger.append(event(4));
  const result = await verifyLedger(store.audit, { key });
  assert.equal(result.ok, true, JSON.stringify(result.problem));
  assert.deepEqual((await store.audit.range(1, 10)).map((r) => r.requestId), ['req-1', null, 'req-4']);
});

test('verify: records rewritten with recomputed hashes are caught by the signed checkpoint after the last one that matches', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  const key = loadOrCreateNodeKey(home);
  const ledger = await openAuditLedger({ checkpointEvery: 5, checkpointIntervalMs: 60_000, maxBatch: 1 }, { log: store.audit, key, logger: silent });
  for (let i = 0; i < 12; i++) await ledger.append(event(i));
  await ledger.close();
  await store.close();
  assert.deepEqual((await (async () => {
    const s = await openSqliteStore(home);
    try { return (await s.audit.checkpoints()).map((c) => c.seq); } finally { await s.close(); }
  })()), [5, 10, 12]);
  // An intruder who knows the format rewrites record 7 and recomputes every hash after it: the chain
  // is consistent again, only the signatures over 10 and 12 disagree.
  const db = new DatabaseSync(join(home, DATABASE_FILE));
  db.exec('DROP TRIGGER audit_records_no_update');
  let prev = (db.prepare('SELECT hash FROM audit_records WHERE seq = 6').get() as { hash: string }).hash;
  for (let seq = 7; seq <= 12; seq++) {
    const row = db.prepare('SELECT * FROM audit_records WHERE seq = ?').get(seq) as Record<string, string | number | null>;
    const r = {
      seq, at: String(row.at), actor: seq === 7 ? 'someone-else' : String(row.actor), action: String(row.action), target: String(row.target),
      outcome: String(row.outcome), requestId: row.request_id as string | null, sourceIp: row.source_ip as string | null, details: String(row.details), prevHash: prev,
    };
    prev = recordHash(r);
    db.prepare('UPDATE audit_records SET actor = ?, prev_hash = ?, hash = ? WHERE seq = ?').run(r.actor, r.prevHash, prev, seq);
  }
  db.close();
  const reopened = await openSqliteStore(home);
  t.after(() => reopened.close());
  const result = await verifyLedger(reopened.audit, { key });
  assert.equal(result.ok, false);
  assert.equal(result.problem?.firstBadSeq, 6);
  assert.match(result.problem!.reason, /records 6\.\.10 do not match the stored checkpoint at 10: they were rewritten/);
  // Without a node key nothing signed can be trusted: the first checkpoint cannot be checked.
  assert.equal((await verifyLedger(reopened.audit, {})).problem?.firstBadSeq, 5);
});

test('ledger: a checkpoint that cannot be signed rejects the append instead of leaving it pending', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  t.after(() => store.close());
  // The public half only: signing throws.
  const { privateKey: _privateKey, ...publicOnly } = loadOrCreateNodeKey(home);
  const ledger = await openAuditLedger({ checkpointEvery: 1, checkpointIntervalMs: 60_000, maxBatch: 1000 }, { log: store.audit, key: publicOnly, logger: silent });
  await assert.rejects(ledger.append(event(1)), /private key/);
  assert.deepEqual(await store.audit.range(1, 10), [], 'nothing was written');
});
