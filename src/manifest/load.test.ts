import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadManifest } from './load.ts';
import { parseManifest } from './parse.ts';
import { BulwarkError } from '../errors.ts';

const SOURCE = `name: json-api
handler: src/index.ts
owner: api@example.com
expires: 2027-06-30
triggers:
  - http: { method: POST, path: / }
input: ./schemas/input.json
`;
const SCHEMA = '{ "type": "object", "required": ["name"] }';

test('loadManifest returns the manifest, its source and the referenced files by relative path', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-manifest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'schemas'));
  await writeFile(join(dir, 'bulwark.yaml'), SOURCE);
  await writeFile(join(dir, 'schemas', 'input.json'), SCHEMA);

  const loaded = await loadManifest(dir);
  assert.equal(loaded.source, SOURCE);
  assert.equal(loaded.path, join(dir, 'bulwark.yaml'));
  assert.deepEqual(loaded.files, { 'schemas/input.json': SCHEMA });
  assert.deepEqual(loaded.manifest.input, { body: JSON.parse(SCHEMA) });
  // The server re-validates from exactly these inputs and gets the same result.
  assert.deepEqual(parseManifest(loaded.source, 'bulwark.yaml', (p) => loaded.files[p]), loaded.manifest);
});

test('loadManifest without a bulwark.yaml throws BWK_E_MANIFEST_NOT_FOUND', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-manifest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await assert.rejects(loadManifest(dir), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_MANIFEST_NOT_FOUND');
  await assert.rejects(loadManifest(join(dir, 'nope')), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_MANIFEST_NOT_FOUND');
});

test('an input schema path that is a directory is reported as not found', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-manifest-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  await mkdir(join(dir, 'schemas', 'input.json'), { recursive: true });
  await writeFile(join(dir, 'bulwark.yaml'), SOURCE);
  await assert.rejects(loadManifest(dir), /schemas\/input.json' was not found/);
});
