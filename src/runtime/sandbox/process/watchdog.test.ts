// The watchdog's scratch accounting on tmpfs (tmpfsTreeUsage) against the walk it short-cuts
// (scratchUsage), on a real tmpfs directory. The watchdog's kills are exercised end to end in abuse.test.ts.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statfsSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchUsage, tmpfsTreeUsage } from './watchdog.ts';

const TMPFS = '/dev/shm';
const onTmpfs = (() => {
  try { return statfsSync(TMPFS).type === 0x01021994; } catch { return false; }
})();
const GiB = 1024 ** 3;

describe('tmpfsTreeUsage', { skip: onTmpfs ? false : `${TMPFS} is not a tmpfs here` }, () => {
  let base: string;
  let n = 0;
  const fresh = (): string => { const dir = join(base, String(++n)); mkdirSync(dir); return dir; };
  before(() => { base = mkdtempSync(join(TMPFS, 'bwk-watchdog-test-')); });
  after(() => { rmSync(base, { recursive: true, force: true }); });

  test('an empty root is 0, without reading it', () => {
    assert.equal(tmpfsTreeUsage(fresh(), GiB), 0);
  });

  test('a small tree counts what the full walk counts: entries at least 1 KiB, files by allocated blocks', async () => {
    const root = fresh();
    mkdirSync(join(root, 'inv'));
    writeFileSync(join(root, 'inv', 'empty'), '');
    writeFileSync(join(root, 'inv', 'big'), Buffer.alloc(300_000, 1));
    mkdirSync(join(root, 'inv', 'deeper', 'still'), { recursive: true });
    writeFileSync(join(root, 'inv', 'deeper', 'still', 'f'), 'x');
    const sync = tmpfsTreeUsage(root, GiB);
    assert.equal(sync, await scratchUsage(root, GiB));
    assert.ok(sync! >= 300_000 + 5 * 1024, `got ${sync}`);
  });

  test('more than 64 entries in all: undefined, left to the thread-pool walk', async () => {
    const root = fresh();
    mkdirSync(join(root, 'inv'));
    for (let i = 0; i < 65; i++) writeFileSync(join(root, 'inv', `f${i}`), '');
    assert.equal(tmpfsTreeUsage(root, GiB), undefined);
    assert.equal(await scratchUsage(root, GiB), 66 * 1024);
  });

  test('a directory whose entries alone exceed the limit ends the walk with a lower bound past the limit', async () => {
    const root = fresh();
    mkdirSync(join(root, 'inv'));
    for (let i = 0; i < 500; i++) writeFileSync(join(root, 'inv', `f${i}`), '');
    const limit = 100 * 1024;
    const usage = tmpfsTreeUsage(root, limit);
    assert.ok(usage !== undefined && usage > limit, `got ${usage}`);
    assert.ok(usage <= await scratchUsage(root, GiB), 'a lower bound of what the full walk counts');
  });

  test('a symlink counts as one entry and is not followed', () => {
    const root = fresh();
    const elsewhere = fresh();
    for (let i = 0; i < 100; i++) writeFileSync(join(elsewhere, `f${i}`), 'x'.repeat(5000));
    symlinkSync(elsewhere, join(root, 'link'));
    assert.equal(tmpfsTreeUsage(root, GiB), 1024);
  });
});
