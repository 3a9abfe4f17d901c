// Opening the SQLite file and running transactions on it. Everything durable-state-specific lives here:
// the pragmas and why, file permissions, and the one transaction helper every multi-statement write uses.

import { DatabaseSync } from 'node:sqlite';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../../errors.ts';

export const DATABASE_FILE = 'bulwark.sqlite';
const BUSY_TIMEOUT_MS = 5000;

export function openDatabase(home: string): DatabaseSync {
  const file = join(home, DATABASE_FILE);
  let db: DatabaseSync;
  try {
    // 0700/0600: the database holds key hashes and every deployed bundle; no other local user reads it.
    // SQLite gives the -wal and -shm files the permissions of the database file.
    mkdirSync(home, { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
    db = new DatabaseSync(file, { timeout: BUSY_TIMEOUT_MS, enableForeignKeyConstraints: true });
  } catch (err) {
    throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite'], { file, cause: String(err) });
  }
  try {
    // WAL: readers (the gateway resolving functions) never wait for a writer (a deploy).
    db.exec('PRAGMA journal_mode = WAL');
    // FULL, not NORMAL: in WAL mode NORMAL survives a process crash but may lose the last commits on
    // power loss. Writes here are rare and security-relevant (a key revocation, a rollback away from a
    // vulnerable version); one that was acknowledged must not come undone. Log appends are batched, so
    // the extra fsync per commit is paid per batch.
    db.exec('PRAGMA synchronous = FULL');
    db.exec(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.exec('PRAGMA foreign_keys = ON');
    // Deleted bundles and keys are overwritten on disk, not left in free pages.
    db.exec('PRAGMA secure_delete = ON');
  } catch (err) {
    db.close();
    throw new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite'], { file, cause: String(err) });
  }
  return db;
}

/** Runs `fn` (statements outside a transaction) with its errors mapped by storeError. */
export function runStatement<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    throw storeError(err);
  }
}

/**
 * Runs `fn` in one BEGIN IMMEDIATE transaction: the write lock is taken up front, so two writers
 * never both read "next version = 7" and SQLite never has to abort one of them half way.
 * Any throw rolls back everything `fn` did.
 */
export function transaction<T>(db: DatabaseSync, fn: () => T): T {
  try {
    db.exec('BEGIN IMMEDIATE');
  } catch (err) {
    throw storeError(err);
  }
  try {
    const result = fn();
    db.exec('COMMIT');
    return result;
  } catch (err) {
    if (db.isTransaction) db.exec('ROLLBACK');
    throw storeError(err);
  }
}

/**
 * Tells read caches whether the tables they cache may have changed. Every write to those tables, by
 * any connection of any process, bumps cache_generation through triggers (migration 5), so one
 * primary-key read answers it; the lookups it lets the gateway skip on every request (active version
 * with its manifest JSON, API key) cost ~20 µs.
 *
 * That read is a SQLite read transaction (file locks, WAL index): ~10 µs on the CI machines, and a
 * request makes three lookups. So the generation read is kept for GENERATION_TTL_MS: a commit by another
 * connection (another process on the same home; the gateway's own writes all go through this one) is
 * seen by requests that arrive from 1 ms after it on, and this connection's own writes (changed()) are
 * seen at once. Keeping it for one event-loop turn instead, as before, read it on nearly every request
 * under load (a turn there handles one or two); the millisecond saved a few per cent of the gateway's
 * time per invocation (docs/benchmarks.md).
 */
export interface ChangeTracker {
  /** True when no cached table was written, by any connection, since `stamp` was taken (see above). */
  unchangedSince(stamp: number): boolean;
  stamp(): number;
  /** Called by every write through this connection. */
  changed(): void;
}

/** How long a generation read answers for (see ChangeTracker). */
const GENERATION_TTL_MS = 1;

export function trackChanges(db: DatabaseSync): ChangeTracker {
  const generation = db.prepare('SELECT n FROM cache_generation WHERE id = 1');
  let current: number | undefined;
  let readUntil = 0;
  const forget = (): void => {
    current = undefined;
  };
  const stamp = (): number => {
    const now = performance.now();
    if (current === undefined || now >= readUntil) {
      current = (generation.get() as { n: number }).n;
      readUntil = now + GENERATION_TTL_MS;
    }
    return current;
  };
  return { stamp, unchangedSince: (s) => s === stamp(), changed: forget };
}

/**
 * A read-through cache of found rows, emptied whenever the database may have changed (see
 * ChangeTracker), so a revocation, deploy, rollback or removal is seen by the next request, from this
 * process or any other. Misses are not cached (a caller could make up unbounded keys), and the
 * size is capped for the same reason. Values are frozen: every caller shares them.
 */
export function createReadCache<V extends object>(tracker: ChangeTracker, maxEntries = 1024) {
  const entries = new Map<string, V>();
  let filledAt: number | undefined;
  return {
    get(key: string, load: () => V | undefined): V | undefined {
      if (filledAt === undefined || !tracker.unchangedSince(filledAt)) {
        entries.clear();
        filledAt = tracker.stamp();
      }
      const hit = entries.get(key);
      if (hit !== undefined) return hit;
      const value = load();
      if (value === undefined) return undefined;
      if (entries.size >= maxEntries) entries.clear();
      entries.set(key, deepFreeze(value));
      return value;
    },
  };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value) && !ArrayBuffer.isView(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

/** Lock timeouts and I/O failures become BWK_E_STORE_UNAVAILABLE; our own errors pass through. */
export function storeError(err: unknown): unknown {
  if (err instanceof BulwarkError) return err;
  const errcode = (err as { errcode?: number }).errcode;
  // SQLITE_BUSY (5), SQLITE_LOCKED (6), SQLITE_IOERR (10), SQLITE_FULL (13), SQLITE_CANTOPEN (14)
  if (errcode !== undefined && [5, 6, 10, 13, 14].includes(errcode & 0xff)) {
    return new BulwarkError('BWK_E_STORE_UNAVAILABLE', ['sqlite'], { cause: String(err) });
  }
  return err;
}
