// Static references found in real bundles: the deploy bundler's output of small handlers.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { build } from 'esbuild';
import { createReferenceCache, findReferences } from './references.ts';
import { BulwarkError } from '../errors.ts';

/** Bundled like `bulwark deploy` does (ESM, node target), so the parser sees what the platform stores. */
async function bundled(source: string): Promise<string> {
  const out = await build({ stdin: { contents: source, loader: 'ts' }, bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent' });
  return out.outputFiles[0]!.text;
}

test('literal secret names and fetch URLs are references, with host:port and default ports', async () => {
  const code = await bundled(`
    export async function handler(event: unknown, context: any) {
      const key = await context.secrets.get('API_KEY');
      const { secrets } = context;
      await secrets.get(\`DB_URL\`);
      await context.fetch('https://API.example.com/v1/items?x=1');
      await fetch('http://127.0.0.1:8081/ping', { method: 'POST' });
      await context.fetch(\`https://hooks.example.org/\${key}\`);
      return context.secrets?.get('API_KEY');
    }`);
  assert.deepEqual(findReferences(code), {
    secrets: ['API_KEY', 'DB_URL'], dynamicSecrets: 0,
    egress: ['127.0.0.1:8081', 'api.example.com:443', 'hooks.example.org:443'], dynamicEgress: 0,
    kv: [], dynamicKv: 0, invoke: [], dynamicInvoke: 0,
  });
});

test('kv namespaces and callees: literal first arguments are references, computed ones dynamic', async () => {
  const code = await bundled(`
    export async function handler(event: any, context: any) {
      await context.kv.get('orders', 'a');
      const { kv, invoke } = context;
      await kv.put(\`carts\`, 'b', '1');
      await kv.list(event.ns);
      await context.invoke('billing', { id: 1 });
      await invoke(event.callee, {});
      return context.kv?.delete('orders', 'a');
    }`);
  assert.deepEqual(findReferences(code), {
    secrets: [], dynamicSecrets: 0, egress: [], dynamicEgress: 0,
    kv: ['carts', 'orders'], dynamicKv: 1, invoke: ['billing'], dynamicInvoke: 1,
  });
});

test('computed names and URLs are dynamic references: the static side cannot narrow them', async () => {
  const code = await bundled(`
    export async function handler(event: any, context: any) {
      await context.secrets.get(event.which);
      await context.secrets.get(\`KEY_\${event.n}\`);
      await context.fetch(event.url);
      await fetch(\`https://\${event.host}/x\`);
      await fetch('not a url');
    }`);
  assert.deepEqual(findReferences(code), { secrets: [], dynamicSecrets: 2, egress: [], dynamicEgress: 3, kv: [], dynamicKv: 0, invoke: [], dynamicInvoke: 0 });
});

test('other get and fetch-like calls are not references', async () => {
  const code = await bundled(`
    const cache = new Map();
    export function handler(event: any, context: any) {
      cache.get('API_KEY');
      context.kv?.get('DB_URL');
      event.prefetch('https://x.example.com/');
      return 'fetch("https://y.example.com/")';
    }`);
  // context.kv.get names a kv namespace, not a secret.
  assert.deepEqual(findReferences(code), { secrets: [], dynamicSecrets: 0, egress: [], dynamicEgress: 0, kv: ['DB_URL'], dynamicKv: 0, invoke: [], dynamicInvoke: 0 });
});

test('a bundle that is not JavaScript is refused with a code', () => {
  assert.throws(() => findReferences('export const = ;'), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_POLICY_BUNDLE_UNPARSABLE');
});

test('references are remembered by bundle digest: a bundle is read and parsed once, an unparsable one too, the oldest forgotten', async () => {
  const remembered = createReferenceCache(2);
  const loads: string[] = [];
  const load = (sha256: string, code: string) => async () => {
    loads.push(sha256);
    return code;
  };
  const code = await bundled(`export const handler = async (e: unknown, context: any) => context.secrets.get('API_KEY');`);
  for (let i = 0; i < 3; i++) assert.deepEqual((await remembered('a', load('a', code))).secrets, ['API_KEY']);
  for (let i = 0; i < 2; i++) await assert.rejects(remembered('b', load('b', 'export const = ;')), (err: unknown) => err instanceof BulwarkError && err.code === 'BWK_E_POLICY_BUNDLE_UNPARSABLE');
  assert.deepEqual(loads, ['a', 'b']);
  // A third digest makes room by forgetting the oldest: 'a' is read again, 'c' stays remembered.
  await remembered('c', load('c', code));
  await remembered('a', load('a', code));
  await remembered('c', load('c', code));
  assert.deepEqual(loads, ['a', 'b', 'c', 'a']);
});
