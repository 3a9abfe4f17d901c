import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BulwarkError } from '../../../errors.ts';
import { sha256Hex } from '../../../store/store.ts';
import { BundleFiles, type TamperedBundle } from './bundles.ts';

const code = new TextEncoder().encode('export const handler = () => "original";');
const sha = sha256Hex(code);
const isTampered = (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_SANDBOX_BUNDLE_TAMPERED';

async function setup(t: { after: (fn: () => Promise<void>) => void }) {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-bundles-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const tampered: TamperedBundle[] = [];
  const files = new BundleFiles(join(dir, 'bundles'), async (s) => (s === sha ? code : undefined), async (x) => { tampered.push(x); });
  return { dir, files, tampered, file: join(dir, 'bundles', `${sha}.mjs`) };
}

test('a bundle modified after it was written is refused at the next load, recorded, and rewritten after', async (t) => {
  const { files, tampered, file } = await setup(t);
  assert.equal(await files.path(sha, 'hello'), file);
  assert.deepEqual(await readFile(file), Buffer.from(code));

  await chmod(file, 0o644);
  await writeFile(file, 'export const handler = () => "evil";');
  await assert.rejects(files.path(sha, 'hello'), isTampered);
  assert.deepEqual(tampered, [{ function: 'hello', sha256: sha, actual: sha256Hex(Buffer.from('export const handler = () => "evil";')) }]);

  // The refused file is gone; the next load writes the deployed bytes again from the store.
  assert.equal(await files.path(sha, 'hello'), file);
  assert.deepEqual(await readFile(file), Buffer.from(code));
  assert.equal(tampered.length, 1);
});

test('a modified file left by an earlier run is refused, not loaded', async (t) => {
  const { dir, files, tampered } = await setup(t);
  await mkdir(join(dir, 'bundles'), { recursive: true });
  await writeFile(join(dir, 'bundles', `${sha}.mjs`), 'export const handler = () => "planted";');
  await assert.rejects(files.path(sha, 'hello'), isTampered);
  assert.equal(tampered.length, 1);
});

test('a bundle the store does not have is a load failure', async (t) => {
  const { files } = await setup(t);
  await assert.rejects(files.path('0'.repeat(64), 'hello'), (err) => err instanceof BulwarkError && err.code === 'BWK_E_SANDBOX_LOAD_FAILED');
});
