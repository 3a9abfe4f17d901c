// Acceptance: kill -9 the gateway (a separate `bulwark serve` process) while a deploy is in flight — mid
// upload, right after the request is sent, at several points while the gateway bundles, proves and stores
// it, and right after it answered — then restart it on the same home. Every time: the store opens, the
// function is at the old or the new version and never in between (the active version's manifest, bundle
// and sha256 agree, and it serves the matching output), an acknowledged deploy survived, and no worker
// of the killed gateway is left running.

import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { defaultConfig } from '../../src/config.ts';
import { openStore } from '../../src/store/index.ts';
import { deployBody, manifest, request, tempDir, writeFunction } from '../support/platform.ts';
import { processesMentioning, startGatewayProcess, stopGatewayProcess, type GatewayProcess } from '../support/gateway-process.ts';

const NAME = 'crashy';

function files(marker: string, padKiB: number): Record<string, string> {
  return {
    'bulwark.yaml': `# marker: ${marker}\n`
      + manifest(NAME, ['{ method: GET, path: / }'], ['limits: { timeout: 3s, memory: 128MB, concurrency: 2 }']),
    // The padding makes the upload and the store write take long enough to be interrupted.
    'index.mjs': [
      `const pad = '${'p'.repeat(padKiB * 1024)}';`,
      `export const handler = async () => ({ statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ marker: '${marker}', pad: pad.length }) });`,
      '',
    ].join('\n'),
  };
}

type KillPoint = { at: 'mid-upload' } | { at: 'sent'; delayMs: number } | { at: 'answered' };

const killPoints: KillPoint[] = [
  { at: 'mid-upload' },
  { at: 'sent', delayMs: 0 },
  { at: 'sent', delayMs: 15 },
  { at: 'sent', delayMs: 40 },
  { at: 'sent', delayMs: 80 },
  // Around here the gateway has proved the bundle in a sandbox and commits it: probe densely.
  { at: 'sent', delayMs: 100 },
  { at: 'sent', delayMs: 115 },
  { at: 'sent', delayMs: 130 },
  { at: 'sent', delayMs: 150 },
  { at: 'sent', delayMs: 300 },
  { at: 'answered' },
];

/** Sends the deploy and SIGKILLs the gateway at the kill point. Resolves with the status if one came back. */
function deployAndKill(gw: GatewayProcess, adminKey: string, body: string, point: KillPoint): Promise<number | undefined> {
  const url = new URL('/admin/v1/functions', gw.url);
  const bytes = Buffer.from(body);
  return new Promise((resolve) => {
    let status: number | undefined;
    const kill = () => gw.child.kill('SIGKILL');
    const req = httpRequest(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json', 'content-length': String(bytes.length) },
    }, (res) => {
      status = res.statusCode;
      res.resume();
      if (point.at === 'answered') kill();
    });
    req.on('error', () => { /* the connection dies with the gateway */ });
    req.on('close', () => {});
    void gw.exited.then(() => setTimeout(() => resolve(status), 20));
    if (point.at === 'mid-upload') {
      req.write(bytes.subarray(0, bytes.length >> 1), () => setTimeout(kill, 20));
    } else {
      req.end(bytes, () => {
        if (point.at === 'sent') setTimeout(kill, point.delayMs);
      });
    }
  });
}

interface StoredState {
  version: number;
  marker: string;
  versions: number[];
}

/** Opens the store the killed gateway left behind and checks the active version is whole. */
async function inspectStore(home: string): Promise<StoredState> {
  const store = await openStore(defaultConfig(home));
  try {
    const active = await store.functions.getActive(NAME);
    assert.ok(active, 'the function still exists');
    const marker = /# marker: (\S+)/.exec(active.manifestSource)?.[1];
    assert.ok(marker, 'the active manifest source is whole');
    assert.equal(active.manifest.name, NAME);
    const bundle = await store.functions.getBundle(active.sha256);
    assert.ok(bundle, `the bundle of v${active.version} is stored`);
    assert.equal(createHash('sha256').update(bundle).digest('hex'), active.sha256, 'bundle bytes hash to the recorded sha256');
    const code = Buffer.from(bundle).toString('utf8');
    assert.ok(code.includes(marker), `the bundle of v${active.version} belongs to its manifest (${marker})`);
    assert.equal(active.sizeBytes, bundle.byteLength);
    const versions = (await store.functions.listVersions(NAME)).map((v) => v.version);
    assert.ok(versions.includes(active.version));
    assert.deepEqual(versions, [...versions].sort((a, b) => a - b));
    for (const v of versions) {
      const fv = await store.functions.getVersion(NAME, v);
      assert.ok(fv && (await store.functions.getBundle(fv.sha256)), `every listed version (v${v}) has its bundle`);
    }
    return { version: active.version, marker, versions };
  } finally {
    await store.close();
  }
}

let home: string | undefined;
let gw: GatewayProcess | undefined;
const dirs: string[] = [];

after(async () => {
  if (gw) await stopGatewayProcess(gw);
  for (const d of dirs) await rm(d, { recursive: true, force: true });
  if (home) await rm(home, { recursive: true, force: true });
});

test('kill -9 during deploys: the function is always at the old or the new version, whole', { timeout: 240_000 }, async (t) => {
  home = await tempDir('crash-home');
  gw = await startGatewayProcess(home);
  const adminKey = (JSON.parse(await readFile(join(home, 'credentials.json'), 'utf8')) as { apiKey: string }).apiKey;

  const v1 = await writeFunction(files('v1', 64));
  dirs.push(v1);
  const first = await request(gw.url, 'POST', '/admin/v1/functions', { key: adminKey, body: (await deployBody(v1)).body, headers: { 'content-type': 'application/json' } });
  assert.equal(first.status, 201, first.text);
  let current = 'v1';

  for (const [i, point] of killPoints.entries()) {
    const marker = `attempt${i}`;
    const dir = await writeFunction(files(marker, point.at === 'mid-upload' ? 4096 : 1024));
    dirs.push(dir);
    const { body } = await deployBody(dir);
    const label = point.at === 'sent' ? `${point.at}+${point.delayMs}ms` : point.at;

    const status = await deployAndKill(gw, adminKey, body, point);
    assert.equal(gw.child.signalCode, 'SIGKILL', `${label}: the gateway was killed`);

    // Workers of the killed gateway must not outlive it.
    const deadline = Date.now() + 5000;
    let leftovers = await processesMentioning(home);
    while (leftovers.length > 0 && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      leftovers = await processesMentioning(home);
    }
    assert.deepEqual(leftovers, [], `${label}: processes of the killed gateway still running`);

    const state = await inspectStore(home);
    assert.ok([current, marker].includes(state.marker), `${label}: active is ${state.marker}, expected ${current} or ${marker}`);
    if (status === 201) assert.equal(state.marker, marker, `${label}: an acknowledged deploy must survive the crash`);
    if (point.at === 'mid-upload') assert.equal(state.marker, current, 'a half-uploaded deploy never lands');

    gw = await startGatewayProcess(home);
    const served = await request(gw.url, 'GET', `/fn/${NAME}`, { key: adminKey });
    assert.equal(served.status, 200, `${label}: after restart: ${served.text}`);
    assert.equal(served.json.marker, state.marker, `${label}: serves the version the store says is active`);
    const listed = await request(gw.url, 'GET', `/admin/v1/functions/${NAME}`, { key: adminKey });
    assert.equal(listed.status, 200, listed.text);
    assert.equal(listed.json.function.activeVersion, state.version);
    t.diagnostic(`${label}: answered ${status ?? 'nothing'}, active after restart v${state.version} (${state.marker === marker ? 'new' : 'old'})`);
    current = state.marker;
  }
});
