// Sandbox spawn -> ready: how long `prepare()` takes for a version no worker has loaded yet (materialise
// the bundle, spawn the worker under its isolation layers, import the bundle, answer "ready").
// Measured for each isolation mode this machine supports, with the real store, bus and sandbox.

import { tmpdir } from 'node:os';
import { build } from 'esbuild';
import { loadConfig, type IsolationMode } from '../../src/config.ts';
import { probeIsolation } from '../../src/runtime/sandbox/process/index.ts';
import { parseManifest } from '../../src/manifest/parse.ts';
import { startFixture } from '../../src/runtime/sandbox/process/sandbox.fixture.ts';
import { quantile } from './child.ts';

export interface ReadyResult { isolation: string; runs: number; p50: number; p99: number }

const manifestSource = `name: ready
handler: index.mjs#handler
owner: bench@example.com
expires: 2099-01-01
triggers:
  - http: { method: GET, path: / }
`;

async function bundle(nonce: number): Promise<Uint8Array> {
  const out = await build({
    stdin: { contents: `export const handler = async () => ({ statusCode: 200, body: ${JSON.stringify(String(nonce))} });`, loader: 'js' },
    bundle: true, format: 'esm', platform: 'node', write: false, logLevel: 'silent',
  });
  return out.outputFiles[0]!.contents;
}

async function measure(isolation: IsolationMode, runs: number): Promise<ReadyResult> {
  const bench = await startFixture(isolation);
  const { sandbox } = bench;
  const manifest = parseManifest(manifestSource, 'bulwark.yaml', () => undefined);
  const times: number[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const sha256 = bench.addBundle(await bundle(i));
      const t0 = performance.now();
      await sandbox.prepare({ name: 'ready', version: 0, sha256, manifest });
      times.push(performance.now() - t0);
      await sandbox.retire('ready');
    }
  } finally {
    await bench.close();
  }
  times.sort((x, y) => x - y);
  return { isolation, runs, p50: quantile(times, 0.5), p99: quantile(times, 0.99) };
}

export async function measureSandboxReady(runs: number): Promise<ReadyResult[]> {
  const results = [await measure('permission-only', runs)];
  const report = await probeIsolation({ ...loadConfig(tmpdir(), {}, {}), isolation: 'auto' });
  if (report.layers.some((l) => l.name === 'bubblewrap' && l.active)) results.push(await measure('auto', runs));
  return results;
}
