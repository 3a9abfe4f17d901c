import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { DatabaseSync } from 'node:sqlite';
import { BulwarkError } from '../../errors.ts';
import { runStoreContract, sampleVersion } from '../store.contract.ts';
import { BLOCK_HISTORY_RETENTION } from '../store.ts';
import { openSqliteStore } from './index.ts';
import { DATABASE_FILE, openDatabase } from './database.ts';
import { migrate, migrations, schemaVersion } from './migrations.ts';
import { LOGS_BY_REQUEST_SQL } from './logs.ts';

async function tempHome(t: { after: (fn: () => Promise<void>) => void }): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-sqlite-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return join(dir, 'home');
}

runStoreContract('sqlite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-sqlite-contract-'));
  return { open: () => openSqliteStore(join(dir, 'home')), destroy: () => rm(dir, { recursive: true, force: true }) };
});

test('sqlite: home is created 0700 and the database file 0600', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  await store.close();
  assert.equal((await stat(home)).mode & 0o777, 0o700);
  assert.equal((await stat(join(home, DATABASE_FILE))).mode & 0o777, 0o600);
});

test('sqlite: WAL, synchronous=FULL, foreign keys on', async (t) => {
  const home = await tempHome(t);
  const db = openDatabase(home);
  try {
    assert.equal((db.prepare('PRAGMA journal_mode').get() as { journal_mode: string }).journal_mode, 'wal');
    assert.equal((db.prepare('PRAGMA synchronous').get() as { synchronous: number }).synchronous, 2);
    assert.equal((db.prepare('PRAGMA foreign_keys').get() as { foreign_keys: number }).foreign_keys, 1);
  } finally {
    db.close();
  }
});

test('sqlite: migrations are recorded once each, and reopening applies nothing again', async (t) => {
  const home = await tempHome(t);
  await (await openSqliteStore(home)).close();
  await (await openSqliteStore(home)).close();
  const db = new DatabaseSync(join(home, DATABASE_FILE));
  try {
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    assert.deepEqual(rows.map((r) => ({ ...r })), migrations.map((m) => ({ version: m.version, name: m.name })));
  } finally {
    db.close();
  }
});

test('sqlite: function logs carry no request-id index; a query by request id walks one function\'s rows by the function index', async (t) => {
  const home = await tempHome(t);
  await (await openSqliteStore(home)).close();
  const db = new DatabaseSync(join(home, DATABASE_FILE));
  try {
    const indexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'function_logs'").all().map((r) => r.name);
    assert.deepEqual(indexes, ['function_logs_by_function']);
    const plan = db.prepare(`EXPLAIN QUERY PLAN ${LOGS_BY_REQUEST_SQL}`)
      .all('hello', 'r', 10).map((r) => String(r.detail)).join('; ');
    assert.match(plan, /USING INDEX function_logs_by_function \(function=\?\)/);
  } finally {
    db.close();
  }
});

test('sqlite: a later migration is applied on open; a failing one rolls back entirely', async (t) => {
  const home = await tempHome(t);
  const db = openDatabase(home);
  t.after(() => db.close());
  migrate(db);
  const v = migrations.at(-1)!.version;
  assert.throws(
    () => migrate(db, [...migrations, { version: v + 1, name: 'half', sql: 'CREATE TABLE half (a INTEGER); INSERT INTO no_such_table VALUES (1);' }]),
    (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_STORE_MIGRATION',
  );
  assert.equal(schemaVersion(db), v);
  assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(), undefined);
  migrate(db, [...migrations, { version: v + 1, name: 'extra', sql: 'CREATE TABLE extra (a INTEGER)' }]);
  assert.equal(schemaVersion(db), v + 1);
  assert.ok(db.prepare("SELECT name FROM sqlite_master WHERE name = 'extra'").get());
});

test('sqlite: a database from a newer Bulwark is refused with a clear error and left untouched', async (t) => {
  const home = await tempHome(t);
  const db = openDatabase(home);
  const v = migrations.at(-1)!.version;
  migrate(db, [...migrations, { version: v + 1, name: 'from the future', sql: 'CREATE TABLE future (a INTEGER)' }]);
  db.close();
  await assert.rejects(openSqliteStore(home), (err: unknown) => {
    assert.ok(err instanceof BulwarkError);
    assert.equal(err.code, 'BWK_E_STORE_SCHEMA_TOO_NEW');
    assert.equal(err.message, `Store schema version ${v + 1} is newer than this Bulwark supports (${v}): upgrade Bulwark`);
    return true;
  });
  const check = new DatabaseSync(join(home, DATABASE_FILE));
  assert.equal(schemaVersion(check), v + 1);
  check.close();
});

test('sqlite: versions cannot be updated in place, even by SQL', async (t) => {
  const home = await tempHome(t);
  const store = await openSqliteStore(home);
  t.after(() => store.close());
  await store.functions.deploy(sampleVersion('hello'));
  const db = new DatabaseSync(join(home, DATABASE_FILE));
  t.after(() => db.close());
  assert.throws(() => db.prepare("UPDATE versions SET sha256 = 'x' WHERE name = 'hello'").run(), /immutable/);
});

test('sqlite: cached lookups see writes made through another connection a millisecond later (revocation, rollback)', async (t) => {
  const home = await tempHome(t);
  const gateway = await openSqliteStore(home);
  t.after(() => gateway.close());
  const other = await openSqliteStore(home);
  t.after(() => other.close());
  await gateway.keys.insert({
    id: 'k1', secretHash: 'ab'.repeat(32), role: 'invoker', functions: ['hello'], label: '',
    createdAt: new Date().toISOString(), expiresAt: null, revokedAt: null,
  });
  await gateway.functions.deploy(sampleVersion('hello'));
  await other.functions.deploy(sampleVersion('hello'));
  // Fill the caches, then change the rows behind them from the other connection.
  assert.equal((await gateway.keys.get('k1'))?.revokedAt, null);
  assert.equal((await gateway.functions.getActive('hello'))?.version, 2);
  assert.equal(await other.keys.revoke('k1', '2030-01-01T00:00:00.000Z'), true);
  await other.functions.activate('hello', 1);
  // The gateway keeps a generation read for 1 ms (GENERATION_TTL_MS): a request after that sees it.
  const nextTurn = () => new Promise((r) => setTimeout(r, 5));
  await nextTurn();
  assert.equal((await gateway.keys.get('k1'))?.revokedAt, '2030-01-01T00:00:00.000Z');
  assert.equal((await gateway.functions.getActive('hello'))?.version, 1);
  // Raw SQL from outside any store, too.
  const raw = new DatabaseSync(join(home, DATABASE_FILE));
  t.after(() => raw.close());
  raw.prepare("DELETE FROM functions WHERE name = 'hello'").run();
  await nextTurn();
  assert.equal(await gateway.functions.getActive('hello'), undefined);
  // And this connection's own writes.
  await gateway.functions.deploy(sampleVersion('hello'));
  assert.equal((await gateway.functions.getActive('hello'))?.version, 3);
  await gateway.functions.remove('hello');
  assert.equal(await gateway.functions.getActive('hello'), undefined);
});

// ---- real child processes ---------------------------------------------------------------------------

const FIXTURE = join(import.meta.dirname, 'deploy-loop.fixture.ts');

function runChild(home: string, names: string[], count?: number) {
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, [FIXTURE, home, names.join(','), ...(count === undefined ? [] : [String(count)])], {
    stdio: ['ignore', 'pipe', 'pipe'], env,
  });
  const reported: Array<[string, number]> = [];
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const lines = createInterface({ input: child.stdout });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, reported, lines, exited, stderr: () => stderr };
}

/** Every function is at a complete version: contiguous history, active = newest, bundles intact. */
async function assertConsistent(home: string, committed: Map<string, number>) {
  const raw = new DatabaseSync(join(home, DATABASE_FILE));
  try {
    assert.equal((raw.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check, 'ok');
    assert.deepEqual(raw.prepare('PRAGMA foreign_key_check').all(), []);
  } finally {
    raw.close();
  }
  const store = await openSqliteStore(home);
  try {
    for (const [name, lastReported] of committed) {
      const versions = await store.functions.listVersions(name);
      const numbers = versions.map((v) => v.version);
      assert.deepEqual(numbers, Array.from({ length: numbers.length }, (_, i) => i + 1), `${name}: contiguous history`);
      const active = await store.functions.getActive(name);
      assert.ok(active, `${name}: has an active version`);
      assert.equal(active.version, numbers.at(-1), `${name}: the newest version is active`);
      // Every acknowledged deploy survived; at most the one in flight when killed committed unreported.
      assert.ok(active.version >= lastReported && active.version <= lastReported + 1, `${name}: ${active.version} vs reported ${lastReported}`);
      for (const v of versions) {
        const bundle = await store.functions.getBundle(v.sha256);
        assert.ok(bundle, `${name}@${v.version}: bundle present`);
        assert.equal(createHash('sha256').update(bundle).digest('hex'), v.sha256, `${name}@${v.version}: bundle intact`);
        assert.equal(v.manifest.name, name);
      }
    }
  } finally {
    await store.close();
  }
}

test('sqlite: SIGKILL in the middle of many deploys leaves every function at a complete version', { timeout: 60_000 }, async (t) => {
  const home = await tempHome(t);
  const names = ['alpha', 'beta', 'gamma'];
  const committed = new Map<string, number>();
  for (let round = 0; round < 10; round++) {
    const run = runChild(home, names);
    t.after(() => run.child.kill('SIGKILL'));
    // Kill after a varying number of acknowledged deploys plus a varying delay, so the kill lands at
    // different points of the next deploy's transaction.
    const killAfter = 3 + round;
    let seen = 0;
    for await (const line of run.lines) {
      const [name, version] = line.split(' ');
      committed.set(name!, Number(version));
      if (++seen === killAfter) {
        setTimeout(() => run.child.kill('SIGKILL'), round % 5);
      }
    }
    assert.equal(await run.exited, null, `child was killed (stderr: ${run.stderr()})`);
    await assertConsistent(home, committed);
  }
  assert.equal(committed.size, names.length);
});

test('sqlite: two processes deploying the same function get distinct versions', async (t) => {
  const home = await tempHome(t);
  await (await openSqliteStore(home)).close(); // migrate once up front; concurrent opens are covered by BEGIN IMMEDIATE too
  const runs = [runChild(home, ['shared'], 15), runChild(home, ['shared'], 15)];
  const seen: number[] = [];
  await Promise.all(runs.map(async (run) => {
    t.after(() => run.child.kill('SIGKILL'));
    for await (const line of run.lines) seen.push(Number(line.split(' ')[1]));
    assert.equal(await run.exited, 0, run.stderr());
  }));
  assert.deepEqual(seen.sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i + 1));
  await assertConsistent(home, new Map([['shared', 30]]));
});

test(`sqlite: ip block history keeps the newest ${BLOCK_HISTORY_RETENTION} entries`, async (t) => {
  const home = await tempHome(t);
  await (await openSqliteStore(home)).close();
  // Filled directly in one transaction: through block() it would be one fsync per entry.
  const db = openDatabase(home);
  const insert = db.prepare(`INSERT INTO ip_block_history (address, action, kind, reason, actor, at, expires_at, offence, evidence)
    VALUES (?, 'blocked', 'automatic', 'r', 'abuse-scorer', '2030-01-01T00:00:00.000Z', NULL, 1, '[]')`);
  db.exec('BEGIN');
  for (let i = 0; i < BLOCK_HISTORY_RETENTION + 10; i++) insert.run(`198.51.100.${i % 250}`);
  db.exec('COMMIT');
  db.close();
  const store = await openSqliteStore(home);
  t.after(() => store.close());
  await store.blocks.block({ address: '203.0.113.1', kind: 'manual', reason: 'newest', actor: 'key:a', createdAt: '2030-01-02T00:00:00.000Z', expiresAt: null, offence: 0, evidence: [] });
  const all = await store.blocks.history({ limit: BLOCK_HISTORY_RETENTION + 100 });
  assert.equal(all.length, BLOCK_HISTORY_RETENTION);
  assert.equal(all[0]!.reason, 'newest');
});
