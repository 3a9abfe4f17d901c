import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { BulwarkError } from '../errors.ts';
import { parseManifest } from '../manifest/parse.ts';
import { bundleFunction } from './bundle.ts';

async function functionDir(t: { after: (fn: () => Promise<void>) => void }, files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-bundle-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(dir, rel)), { recursive: true });
    await writeFile(join(dir, rel), text);
  }
  return dir;
}

const manifest = (handler = 'src/index.ts#handler') => parseManifest(
  `name: b\nhandler: ${handler}\nowner: a@example.com\nexpires: 2099-01-01\ntriggers:\n  - http: { method: GET, path: / }\n`,
  'bulwark.yaml', () => undefined,
);

const bundleFailed = (fragment: string | RegExp) => (err: unknown) => {
  assert.ok(err instanceof BulwarkError);
  assert.equal(err.code, 'BWK_E_DEPLOY_BUNDLE_FAILED');
  assert.match(err.message, typeof fragment === 'string' ? new RegExp(fragment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) : fragment);
  return true;
};

test('bundles a TypeScript handler with a CommonJS dependency that requires a built-in', async (t) => {
  const dir = await functionDir(t, {
    'src/index.ts': "import pad from 'leftpad-ish';\nimport { greet } from './greet.ts';\nexport const handler = async (event: { name: string }) => ({ statusCode: 200, body: pad(greet(event.name)) });\n",
    'src/greet.ts': 'export const greet = (n: string): string => `hello ${n}`;\n',
    'node_modules/leftpad-ish/package.json': '{ "name": "leftpad-ish", "main": "index.js" }',
    'node_modules/leftpad-ish/index.js': "const os = require('node:os');\nmodule.exports = (s) => '>' + s + os.EOL.trim();\n",
  });
  const result = await bundleFunction(dir, manifest());
  assert.equal(result.sha256, createHash('sha256').update(result.code).digest('hex'));
  assert.deepEqual(result.warnings, []);
  const text = new TextDecoder().decode(result.code);
  assert.ok(!text.includes(dir), 'no host path of the function directory in the bundle');
  assert.ok(!text.includes(tmpdir() + '/'), 'no temp dir path in the bundle');
  assert.ok(!text.includes('sourceMappingURL'), 'no source map');
  assert.ok(text.startsWith("import { createRequire as __bwkCreateRequire } from 'node:module';"));

  // The bundle is one self-contained ES module that runs with nothing else around it.
  const out = join(await mkdtemp(join(tmpdir(), 'bwk-bundle-out-')), 'bundle.mjs');
  t.after(() => rm(dirname(out), { recursive: true, force: true }));
  await writeFile(out, result.code);
  const mod = await import(pathToFileURL(out).href) as { handler: (e: { name: string }) => Promise<unknown> };
  assert.deepEqual(await mod.handler({ name: 'ada' }), { statusCode: 200, body: '>hello ada' });
});

test('bundling is deterministic: the same sources give the same sha256', async (t) => {
  const files = { 'src/index.ts': 'export const handler = () => ({ statusCode: 204 });\n' };
  const a = await bundleFunction(await functionDir(t, files), manifest());
  const b = await bundleFunction(await functionDir(t, files), manifest());
  assert.equal(a.sha256, b.sha256);
});

test('a missing handler file is named before esbuild runs', async (t) => {
  const dir = await functionDir(t, { 'src/other.ts': 'export {};\n' });
  await assert.rejects(bundleFunction(dir, manifest()), bundleFailed('handler file src/index.ts (from handler: in bulwark.yaml) does not exist'));
});

test('a syntax error is reported at file:line:col', async (t) => {
  const dir = await functionDir(t, { 'src/index.ts': 'export const handler = () => {\n  return { statusCode: 200 ;\n};\n' });
  await assert.rejects(bundleFunction(dir, manifest()), bundleFailed(/src\/index\.ts:2:\d+: Expected "}" but found ";"/));
});

test('an import that cannot be resolved is reported at file:line:col', async (t) => {
  const dir = await functionDir(t, { 'src/index.ts': "\nimport x from 'not-installed';\nexport const handler = () => x;\n" });
  await assert.rejects(bundleFunction(dir, manifest()), bundleFailed(/src\/index\.ts:2:15: Could not resolve "not-installed"/));
});
