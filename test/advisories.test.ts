// `bulwark advisories update` as a user runs it: a real CLI process reading a directory, a zip (built
// here, deflated like OSV's npm/all.zip) and the same zip over real HTTP, replacing a store directory
// all at once; and the failure paths, which must leave the old store exactly as it was.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { crc32, deflateRawSync } from 'node:zlib';
import { indexAdvisories, readOsvPath } from '../src/scanner/engine/deps/advisories.ts';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
let work: string;
let server: Server;
let base: string;

interface Run { code: number; stdout: string; stderr: string }
function cli(args: string[]): Promise<Run> {
  return new Promise((done) => {
    execFile(process.execPath, [main, ...args], { cwd: work, env: { PATH: process.env.PATH ?? '' }, timeout: 60_000 }, (err, stdout, stderr) => {
      done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
  });
}

const record = (id: string, name: string, fixed: string | undefined, ecosystem = 'npm') => ({
  schema_version: '1.6.0', id, modified: '2026-10-01T00:00:00Z', summary: `${name} test issue`,
  affected: [{ package: { ecosystem, name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, ...(fixed ? [{ fixed }] : [])] }] }],
});

/** A minimal zip (local headers, central directory, end record) with deflated entries. */
function zip(entries: Record<string, string>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(entries)) {
    const data = Buffer.from(text);
    const packed = deflateRawSync(data);
    const fname = Buffer.from(name);
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(8, 8);
    local.writeUInt32LE(crc, 14); local.writeUInt32LE(packed.length, 18); local.writeUInt32LE(data.length, 22); local.writeUInt16LE(fname.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt16LE(8, 10);
    central.writeUInt32LE(crc, 16); central.writeUInt32LE(packed.length, 20); central.writeUInt32LE(data.length, 24); central.writeUInt16LE(fname.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, fname, packed);
    centrals.push(central, fname);
    offset += 30 + fname.length + packed.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(entries).length, 8); end.writeUInt16LE(Object.keys(entries).length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

const dumpZip = zip({
  'GHSA-aaaa-bbbb-cccc.json': JSON.stringify(record('GHSA-aaaa-bbbb-cccc', 'left-pad', '1.3.0'), null, 2),
  'MAL-2026-1.json': JSON.stringify(record('MAL-2026-1', 'evil-pkg', undefined)),
  'PYSEC-2026-1.json': JSON.stringify(record('PYSEC-2026-1', 'requests', '2.0.0', 'PyPI')),
});

function seedStore(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'old.osv.jsonl'), JSON.stringify(record('GHSA-old0-old0-old0', 'old-pkg', '2.0.0')) + '\n');
  return readFileSync(join(dir, 'old.osv.jsonl'), 'utf8');
}

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'bwk-adv-'));
  server = createServer((req, res) => {
    if (req.url === '/npm/all.zip') res.writeHead(200, { 'content-type': 'application/zip' }).end(dumpZip);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address() as { port: number };
  base = `http://127.0.0.1:${addr.port}`;
});
after(() => {
  server.close();
  rmSync(work, { recursive: true, force: true });
});

test('update from a directory of OSV .json files replaces the store', async () => {
  const src = join(work, 'osv-dir');
  mkdirSync(join(src, 'nested'), { recursive: true });
  writeFileSync(join(src, 'GHSA-1111-2222-3333.json'), JSON.stringify(record('GHSA-1111-2222-3333', 'tiny-json', '2.0.1'), null, 2));
  writeFileSync(join(src, 'nested', 'more.jsonl'), [record('GHSA-4444-5555-6666', 'tiny-json', '3.0.0'), record('RUSTSEC-2026-1', 'serde', '1.0.0', 'crates.io'), record('GHSA-1111-2222-3333', 'tiny-json', '9.9.9')].map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(src, 'notes.txt'), 'ignored');
  const store = join(work, 'store-dir');
  seedStore(store);
  const r = await cli(['advisories', 'update', '--from', src, '--to', store]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /wrote 2 npm advisories \(0 withdrawn\) from 2 file\(s\).*1 non-npm record\(s\) left out; 1 duplicate id\(s\) skipped/);
  assert.deepEqual(readdirSync(store).sort(), ['SOURCE.md', 'npm-advisories.osv.jsonl']);
  const index = indexAdvisories(await readOsvPath(store));
  assert.deepEqual(index.match('tiny-json', '2.0.0').map((m) => `${m.id}>${m.fixed}`), ['GHSA-1111-2222-3333>2.0.1', 'GHSA-4444-5555-6666>3.0.0']);
  assert.equal(index.match('old-pkg', '1.0.0').length, 0, 'the old data is gone');
  assert.deepEqual(readdirSync(work).filter((f) => /store-dir\.(update|old)-/.test(f)), [], 'no staging or old directory left');
});

test('update from a zip file and from the same zip over HTTP', async () => {
  writeFileSync(join(work, 'all.zip'), dumpZip);
  for (const from of [join(work, 'all.zip'), `${base}/npm/all.zip`]) {
    const store = join(work, `store-zip-${from.startsWith('http') ? 'url' : 'file'}`);
    const r = await cli(['advisories', 'update', '--from', from, '--to', store]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /wrote 2 npm advisories \(0 withdrawn\) from 3 file\(s\)/);
    const index = indexAdvisories(await readOsvPath(store));
    assert.equal(index.match('left-pad', '1.2.9')[0]?.fixed, '1.3.0');
    assert.equal(index.match('evil-pkg', '0.0.1')[0]?.severity, 'critical', 'MAL- records are malicious packages');
    assert.match(readFileSync(join(store, 'SOURCE.md'), 'utf8'), /CC-BY-4\.0/);
  }
});

test('an invalid record anywhere leaves the old store untouched', async () => {
  const src = join(work, 'bad-dir');
  mkdirSync(src, { recursive: true });
  writeFileSync(join(src, 'a.json'), JSON.stringify(record('GHSA-7777-8888-9999', 'ok-pkg', '1.0.1')));
  writeFileSync(join(src, 'b.jsonl'), JSON.stringify(record('GHSA-aaaa-aaaa-aaaa', 'ok-pkg', '1.0.2')) + '\n' + JSON.stringify({ id: 'GHSA-bad0-bad0-bad0', affected: [{ package: { ecosystem: 'npm', name: 'x' }, ranges: [{ type: 'SEMVER' }] }] }) + '\n');
  const store = join(work, 'store-keep');
  const before = seedStore(store);
  const r = await cli(['advisories', 'update', '--from', src, '--to', store]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, /^error BWK_E_SCANNER_ADVISORIES_INVALID: Advisory data at .*b\.jsonl line 2 is invalid: GHSA-bad0-bad0-bad0: affected\[0\]\.ranges\[0\] needs "type" and "events"/m);
  assert.doesNotMatch(r.stderr, /^\s+at /m);
  assert.deepEqual(readdirSync(store), ['old.osv.jsonl']);
  assert.equal(readFileSync(join(store, 'old.osv.jsonl'), 'utf8'), before);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('store-keep.')), []);
});

test('unreadable sources and sources without npm advisories fail clearly', async () => {
  const store = join(work, 'store-fail');
  const before = seedStore(store);
  const missing = await cli(['advisories', 'update', '--from', join(work, 'nope'), '--to', store]);
  assert.match(missing.stderr, /^error BWK_E_SCANNER_ADVISORIES_UNREADABLE: .*no such file or directory/m);
  const http404 = await cli(['advisories', 'update', '--from', `${base}/missing.zip`, '--to', store]);
  assert.match(http404.stderr, /^error BWK_E_SCANNER_ADVISORIES_UNREADABLE: .*HTTP 404/m);
  writeFileSync(join(work, 'broken.zip'), Buffer.concat([dumpZip.subarray(0, 40), Buffer.alloc(40)]));
  const broken = await cli(['advisories', 'update', '--from', join(work, 'broken.zip'), '--to', store]);
  assert.match(broken.stderr, /^error BWK_E_SCANNER_ADVISORIES_UNREADABLE: .*zip/m);
  writeFileSync(join(work, 'pypi.jsonl'), JSON.stringify(record('PYSEC-1', 'flask', '1.0.0', 'PyPI')) + '\n');
  const none = await cli(['advisories', 'update', '--from', join(work, 'pypi.jsonl'), '--to', store]);
  assert.match(none.stderr, /^error BWK_E_SCANNER_ADVISORIES_INVALID: .*no npm advisory in 1 file/m);
  const usage = await cli(['advisories', 'update', '--to', store]);
  assert.equal(usage.code, 2);
  for (const r of [missing, http404, broken, none]) assert.equal(r.code, 1, r.stderr);
  assert.equal(readFileSync(join(store, 'old.osv.jsonl'), 'utf8'), before);
  assert.deepEqual(readdirSync(work).filter((f) => f.startsWith('store-fail.')), []);
});
