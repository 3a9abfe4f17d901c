// Security review of the scanner and the deploy gate: hostile projects, templates, advisory sources and
// deploy bodies. Through the real CLI (a child process) and, for the gateway's half of the gate, real
// HTTP to a real gateway.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createServer, type Server } from 'node:http';
import { once } from 'node:events';
import { crc32 } from 'node:zlib';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { deployBody, manifest, runCli, startTestPlatform, writeFunction, assertError, type TestPlatform } from './support/platform.ts';
import { MAX_ALIAS_COPIED_NODES, parseTree, type PNode } from '../src/scanner/engine/yaml-tree.ts';
import { parseWaivers } from '../src/scanner/gate/waivers.ts';
import { isBulwarkError } from '../src/errors.ts';

const cmdHandler = [
  "import { exec } from 'node:child_process';",
  'export const handler = async (event) => {',
  '  exec(event.body);',
  "  return { statusCode: 200, body: 'ok' };",
  '};',
  '',
].join('\n');

const safeHandler = "export const handler = async () => ({ statusCode: 200, body: 'ok' });\n";

const dirs: string[] = [];
async function project(files: Record<string, string>): Promise<string> {
  const dir = await writeFunction(files);
  dirs.push(dir);
  return dir;
}

after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

describe('scan output on hostile file names and contents', () => {
  test('escape sequences in a file name, a code frame and a manifest value reach the terminal escaped', async () => {
    const evilName = 'a\u001b]0;owned\u0007\u001b[2J\u009b1A.mjs';
    const dir = await project({
      [evilName]: cmdHandler.replace('exec(event.body);', 'exec(event.body); // \u001b[1A\u001b[2K\u202e hidden'),
      'bulwark.yaml': manifest('esc-fn', ['{ method: GET, path: "/x\u001b[31m", auth: public }']),
      'index.mjs': safeHandler,
    });
    const run = await runCli(['scan', dir], {}, dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stdout, /BWK-INJ-CMD/);
    assert.match(run.stdout, /BWK-MAN-PUBLIC-ROUTE/);
    assert.doesNotMatch(run.stdout, /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202e]/, 'no control character reaches the terminal');
    assert.match(run.stdout, /a\\u\{1b\}\]0;owned\\u\{7\}/, 'the file name is shown with its escapes spelled out');
    assert.match(run.stdout, /\\u\{1b\}\[1A\\u\{1b\}\[2K\\u\{202e\} hidden/, 'the code frame too');
  });
});

describe('files the scan cannot analyse fail it instead of passing silently', () => {
  test('a sink hidden behind one long line (a "minified" file) or nesting too deep: scan exits 2, deploy is refused', async () => {
    const padded = cmdHandler + `export const data = ${JSON.stringify('x'.repeat(40_000))};\n`;
    const deep = cmdHandler + `export const nested = ${'[\n'.repeat(30_000)}${']\n'.repeat(30_000)};\n`;
    for (const [name, source, why] of [['padded.mjs', padded, /padded\.mjs: not scanned: looks minified/], ['deep.mjs', deep, /deep\.mjs: cannot be parsed/]] as const) {
      const dir = await project({ 'bulwark.yaml': manifest(`hidden-${name.split('.')[0]}`, ['{ method: POST, path: / }']), 'index.mjs': safeHandler, [name]: source });
      const scan = await runCli(['scan', dir], {}, dir);
      assert.equal(scan.code, 2, scan.stdout + scan.stderr);
      assert.match(scan.stdout, why);
      assert.match(scan.stderr, /error BWK_E_SCANNER_INCOMPLETE: The scan is incomplete: 1 file\(s\) or engine\(s\) not analysed/);
      // The deploy gate refuses before anything is bundled or sent (the URL points nowhere).
      const deploy = await runCli(['deploy', dir], { BULWARK_URL: 'http://127.0.0.1:9', BULWARK_API_KEY: 'unused' }, dir);
      assert.equal(deploy.code, 2, deploy.stderr);
      assert.match(deploy.stderr, why);
      assert.match(deploy.stderr, /error BWK_E_SCANNER_INCOMPLETE/);
    }
    // Listed in .bulwarkignore, the decision is the author's and visible in review: the scan passes.
    const dir = await project({ 'bulwark.yaml': manifest('hidden-ok', ['{ method: POST, path: / }']), 'index.mjs': safeHandler, 'vendor.mjs': padded, '.bulwarkignore': 'vendor.mjs\n' });
    const scan = await runCli(['scan', dir], {}, dir);
    assert.equal(scan.code, 0, scan.stdout + scan.stderr);
  });
});

describe('waiver text that reaches terminals, events and the ledger', () => {
  test('control characters in a reason, a file glob or an approver are refused at line:col; a multi-line reason is fine', () => {
    const now = new Date();
    const soon = new Date(Date.now() + 10 * 86_400_000).toISOString().slice(0, 10);
    const problems = (source: string): string[] => {
      try {
        parseWaivers(source, 'bulwark.waivers.yaml', now);
        return [];
      } catch (err) {
        assert.ok(isBulwarkError(err) && err.code === 'BWK_E_SCANNER_WAIVERS_INVALID', String(err));
        return (err.detail as { problems: string[] }).problems;
      }
    };
    assert.deepEqual(problems([
      `- { rule: BWK-INJ-CMD, reason: "ok\\e[2J\\e]0;title\\a", expires: ${soon} }`,
      `- { rule: BWK-INJ-CMD, file: "src/\\u202e.ts", reason: fine, expires: ${soon} }`,
      `- { rule: BWK-INJ-CMD, reason: fine, expires: ${soon}, approvedBy: "a\\nb" }`,
    ].join('\n') + '\n'), [
      'bulwark.waivers.yaml:1:32: waiver 1: reason must say why the finding is accepted (it holds a control character)',
      'bulwark.waivers.yaml:2:30: waiver 2: file must be one line without control characters',
      'bulwark.waivers.yaml:3:71: waiver 3: approvedBy must be one line without control characters',
    ]);
    assert.deepEqual(problems(`- rule: BWK-INJ-CMD\n  reason: |\n    first line\n    second line\n  expires: ${soon}\n`), []);
  });
});

describe('YAML alias bombs', () => {
  function count(node: PNode | undefined): number {
    if (!node) return 0;
    if (node.type === 'map') return 1 + node.entries.reduce((n, e) => n + count(e.value), 0);
    if (node.type === 'seq') return 1 + node.items.reduce((n, i) => n + count(i), 0);
    if (node.type === 'fn') return 1 + count(node.arg);
    return 1;
  }

  test('a large anchored list aliased a thousand times is copied at most MAX_ALIAS_COPIED_NODES nodes', () => {
    const items = Array.from({ length: 20_000 }, (_, i) => `  - v${i}`).join('\n');
    const aliases = Array.from({ length: 999 }, (_, i) => `  k${i}: *big`).join('\n');
    const tree = parseTree(`list: &big\n${items}\ncopies:\n${aliases}\n`, { intrinsics: true });
    assert.ok(tree.root);
    const nodes = count(tree.root);
    assert.ok(nodes <= 20_000 + 1_000 + 10 + MAX_ALIAS_COPIED_NODES, `${nodes} nodes`);
    // Nested laughs: each level doubles; still bounded.
    const laughs = ['a: &a [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(10).fill(`*${String.fromCharCode(96 + i)}`).join(', ')}]`);
    const bomb = parseTree(laughs.join('\n') + '\n', { intrinsics: false });
    assert.ok(count(bomb.root) <= 200 + MAX_ALIAS_COPIED_NODES);
  });

  test('an alias bomb in a SAM template and in bulwark.waivers.yaml: a bounded scan, a clear error', async () => {
    const items = Array.from({ length: 5_000 }, (_, i) => `  - v${i}`).join('\n');
    const tags = Array.from({ length: 999 }, (_, i) => `        t${i}: *big`).join('\n');
    const dir = await project({
      'template.yaml': `Transform: AWS::Serverless-2016-10-31\nBig: &big\n${items}\nResources:\n  Fn:\n    Type: AWS::Serverless::Function\n    Properties:\n      Handler: index.handler\n      Runtime: nodejs24.x\n      Tags:\n${tags}\n`,
      'bulwark.yaml': manifest('alias-fn', ['{ method: POST, path: / }']),
      'index.mjs': safeHandler,
      'bulwark.waivers.yaml': 'base: &w { rule: BWK-INJ-CMD, reason: r, expires: 2099-01-01 }\nlist: [*w, *w]\n',
    });
    const scan = await runCli(['scan', dir, '--format', 'json'], {}, dir);
    assert.equal(scan.code, 0, scan.stderr);
    assert.ok(JSON.parse(scan.stdout).findings.some((f: { ruleId: string }) => f.ruleId === 'BWK-IAC-NO-TRACING'));
    const deploy = await runCli(['deploy', dir], { BULWARK_URL: 'http://127.0.0.1:9', BULWARK_API_KEY: 'unused' }, dir);
    assert.equal(deploy.code, 1, deploy.stderr);
    assert.match(deploy.stderr, /^error BWK_E_SCANNER_WAIVERS_INVALID: /m);
    assert.doesNotMatch(deploy.stderr, /\n\s+at /, 'no stack trace');
  });
});

describe('serverless.yml variables that multiply', () => {
  test('six references per level, twelve levels deep: resolution stops at its budget, the engine does not fail', async () => {
    const levels = 'abcdefghijkl'.split('');
    const custom = levels.map((l, i) => `  ${l}: ${i === levels.length - 1 ? 'A'.repeat(80) : `\${self:custom.${levels[i + 1]}}`.repeat(6)}`);
    const dir = await project({
      'serverless.yml': ['service: laughs', 'provider:', '  name: aws', '  runtime: nodejs24.x', '  environment:', '    X: ${self:custom.a}${self:custom.a}', 'custom:', ...custom,
        'functions:', '  f:', '    handler: index.handler', '    events:', '      - http: { method: get, path: /x }', ''].join('\n'),
    });
    const scan = await runCli(['scan', dir, '--format', 'json'], {}, dir);
    const report = JSON.parse(scan.stdout) as { findings: Array<{ ruleId: string }>; errors: unknown[] };
    assert.deepEqual(report.errors, [], scan.stderr);
    assert.ok(report.findings.some((f) => f.ruleId === 'BWK-IAC-API-NO-AUTH'), JSON.stringify(report.findings.map((f) => f.ruleId)));
  });
});

/** A zip written by hand (stored entries), so a test can put in it what no zip tool would. */
function zipOf(entries: Array<{ name: string; data: Buffer; declaredSize?: number }>): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name);
    const crc = crc32(e.data);
    const size = e.declaredSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(size, 18); local.writeUInt32LE(size, 22); local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6); central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(size, 20); central.writeUInt32LE(size, 24); central.writeUInt16LE(name.length, 28); central.writeUInt32LE(offset, 42);
    locals.push(local, name, e.data);
    centrals.push(central, name);
    offset += 30 + name.length + e.data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(entries.length, 8); end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cd.length, 12); end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, end]);
}

describe('bulwark advisories update on hostile sources and targets', () => {
  let record: string;
  let work: string;
  let store: string;
  const storeFiles = async () => (await readdir(store)).sort();

  before(async () => {
    record = (await readFile(new URL('../data/advisories/npm-advisories.osv.jsonl', import.meta.url), 'utf8')).split('\n')[0]!;
    work = await project({ 'store/npm-advisories.osv.jsonl': record + '\n', 'store/SOURCE.md': '# old\n' });
    store = join(work, 'store');
  });

  test('--to a directory that is not an advisory store is refused and left as it was', async () => {
    const home = await project({ 'src/index.ts': 'keep me\n', 'package.json': '{}\n', 'osv.json': record });
    const run = await runCli(['advisories', 'update', '--from', join(home, 'osv.json'), '--to', '.'], {}, home);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /error BWK_E_CLI_USAGE: .*not advisory data/);
    assert.equal(await readFile(join(home, 'src/index.ts'), 'utf8'), 'keep me\n');
    assert.deepEqual((await readdir(home)).sort(), ['osv.json', 'package.json', 'src']);
    const file = await runCli(['advisories', 'update', '--from', join(home, 'osv.json'), '--to', 'package.json'], {}, home);
    assert.equal(file.code, 2, file.stderr);
    assert.equal(await readFile(join(home, 'package.json'), 'utf8'), '{}\n');
  });

  test('zip slip: an entry named ../ or absolute refuses the whole zip; nothing is written anywhere, the store is intact', async () => {
    const before = await readFile(join(store, 'npm-advisories.osv.jsonl'), 'utf8');
    const other = JSON.parse(record);
    other.id = 'GHSA-zzzz-zzzz-zzzz';
    for (const name of ['../../escaped.json', '/tmp/bwk-review-absolute.json']) {
      const zip = join(work, 'slip.zip');
      await writeFile(zip, zipOf([{ name: 'ok.json', data: Buffer.from(JSON.stringify(other)) }, { name, data: Buffer.from(record) }]));
      const run = await runCli(['advisories', 'update', '--from', zip, '--to', store], {}, work);
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /error BWK_E_SCANNER_ADVISORIES_UNREADABLE: .*broken zip/);
    }
    assert.equal(existsSync(join(work, '..', 'escaped.json')), false);
    assert.equal(existsSync(join(work, '..', '..', 'escaped.json')), false);
    assert.equal(existsSync('/tmp/bwk-review-absolute.json'), false);
    assert.equal(await readFile(join(store, 'npm-advisories.osv.jsonl'), 'utf8'), before);
    assert.deepEqual(await storeFiles(), ['SOURCE.md', 'npm-advisories.osv.jsonl']);
  });

  test('a zip entry that inflates past its declared size, and a redirect to file://, leave the store untouched', async () => {
    const before = await readFile(join(store, 'npm-advisories.osv.jsonl'), 'utf8');
    const bomb = join(work, 'lying.zip');
    await writeFile(bomb, zipOf([{ name: 'a.json', data: Buffer.from(record + ' '.repeat(100_000)), declaredSize: 10 }]));
    const lied = await runCli(['advisories', 'update', '--from', bomb, '--to', store], {}, work);
    assert.equal(lied.code, 1, lied.stderr);
    assert.match(lied.stderr, /error BWK_E_SCANNER_ADVISORIES_(UNREADABLE|INVALID)/);

    const secretFile = join(work, 'not-for-download.json');
    await writeFile(secretFile, record);
    const server: Server = createServer((_req, res) => {
      res.writeHead(302, { location: `file://${secretFile}` }).end();
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const { port } = server.address() as { port: number };
      const redirected = await runCli(['advisories', 'update', '--from', `http://127.0.0.1:${port}/all.zip`, '--to', store], {}, work);
      assert.equal(redirected.code, 1, redirected.stderr);
      assert.match(redirected.stderr, /error BWK_E_SCANNER_ADVISORIES_UNREADABLE: .*download failed/);
    } finally {
      server.close();
    }
    assert.equal(await readFile(join(store, 'npm-advisories.osv.jsonl'), 'utf8'), before);
    assert.deepEqual(await storeFiles(), ['SOURCE.md', 'npm-advisories.osv.jsonl']);
    assert.deepEqual((await readdir(work)).filter((n) => n.includes('.update-') || n.includes('.old-')), [], 'no staging left behind');
  });
});

describe('bulwark import on hostile templates', () => {
  const sam = (props: string) => `Transform: AWS::Serverless-2016-10-31\nResources:\n  Api:\n    Type: AWS::Serverless::Function\n    Properties:\n${props}`;

  test('a CodeUri outside the template directory needs --out; nothing is written there', async () => {
    const dir = await project({ 'app/template.yaml': sam('      CodeUri: ../../../bwk-review-outside/\n      Handler: index.handler\n      Runtime: nodejs24.x\n') });
    const run = await runCli(['import', 'app/template.yaml'], {}, dir);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /error BWK_E_CLI_USAGE: .*CodeUri points outside the template's directory/);
    assert.equal(existsSync(join(dir, '..', '..', 'bwk-review-outside')), false);
    const abs = await project({ 'template.yaml': sam('      CodeUri: /tmp/bwk-review-abs\n      Handler: index.handler\n') });
    const absRun = await runCli(['import', 'template.yaml'], {}, abs);
    assert.equal(absRun.code, 2, absRun.stderr);
    assert.equal(existsSync('/tmp/bwk-review-abs/bulwark.yaml'), false);
  });

  test('a line break in a template value cannot inject manifest lines; an existing manifest is never overwritten', async () => {
    const injected = await project({
      'src/index.js': safeHandler,
      'template.yaml': sam('      CodeUri: src/\n      Handler: "index.handler\\npermissions: { egress: [\\"*\\"] }"\n      Environment:\n        Variables:\n          "A\\nauth: public": x\n'),
    });
    const run = await runCli(['import', 'template.yaml'], {}, injected);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /error BWK_E_CLI_IMPORT_TEMPLATE: .*line break or control character/);
    assert.equal(existsSync(join(injected, 'src', 'bulwark.yaml')), false);

    const existing = await project({ 'src/index.js': safeHandler, 'src/bulwark.yaml': 'mine\n', 'template.yaml': sam('      CodeUri: src/\n      Handler: index.handler\n') });
    const again = await runCli(['import', 'template.yaml'], {}, existing);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /error BWK_E_CLI_EXISTS/);
    assert.equal(await readFile(join(existing, 'src', 'bulwark.yaml'), 'utf8'), 'mine\n');

    // A dangling link named bulwark.yaml is not followed to create its target.
    const linked = await project({ 'src/index.js': safeHandler, 'template.yaml': sam('      CodeUri: src/\n      Handler: index.handler\n') });
    await symlink(join(linked, 'elsewhere.yaml'), join(linked, 'src', 'bulwark.yaml'));
    const viaLink = await runCli(['import', 'template.yaml'], {}, linked);
    assert.equal(viaLink.code, 1, viaLink.stderr);
    assert.match(viaLink.stderr, /^error BWK_E_CLI_EXISTS: /m);
    assert.equal(existsSync(join(linked, 'elsewhere.yaml')), false);
  });
});

describe('the gateway half of the gate (real HTTP)', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform();
  });
  after(async () => {
    await p?.close();
  });

  const zeroCounts = { info: 0, low: 0, medium: 0, high: 0, critical: 0 };
  async function deployWithScan(files: Record<string, string>, scanClaim: unknown) {
    const dir = await project(files);
    const { body } = await deployBody(dir);
    const withScan = JSON.stringify({ ...JSON.parse(body), scan: scanClaim });
    return p.request('POST', '/admin/v1/functions', { key: p.adminKey, body: withScan, headers: { 'content-type': 'application/json' } });
  }

  test('a forged all-clear claim does not hide what the manifest re-scan finds; malformed claims are refused by schema', async () => {
    const publicNoSchema = { 'bulwark.yaml': manifest('forged-claim', ['{ method: POST, path: /, auth: public }']), 'index.mjs': safeHandler };
    const forged = await deployWithScan(publicNoSchema, { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [] });
    assertError(forged, 422, 'BWK_E_SCANNER_GATE_REFUSED', p.secrets);
    const answer = forged;
    assert.match(answer.text, /BWK_E_SCANNER_GATE_REFUSED/);
    assert.match(answer.text, /BWK-MAN-PUBLIC-ROUTE \(bulwark\.yaml:\d+\)/);
    assert.doesNotMatch(answer.text, /\/tmp\/|bwk-gate-|\n\s+at /, 'no temp path or stack');
    assert.deepEqual(await p.versions('forged-claim'), { active: undefined, versions: [] });

    for (const bad of [
      { failOn: 'high', counts: { ...zeroCounts, high: -1 }, suppressed: 0, files: 1, waived: [] },
      { failOn: 'none', counts: zeroCounts, suppressed: 0, files: 1, waived: [] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml', line: 1, reason: ' ', expires: '2026-12-01' }] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: '*', severity: 'high', file: '**', line: 1, reason: 'all', expires: '2026-12-01' }] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml', line: 1, reason: 'x'.repeat(2001), expires: '2026-12-01' }] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml', line: 1, reason: 'ok \u001b[2J', expires: '2026-12-01' }] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml\n', line: 1, reason: 'ok', expires: '2026-12-01' }] },
      { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml', line: 1, reason: 'ok', expires: '2026-12-01', approvedBy: '\u009b31m' }] },
    ]) {
      const res = await deployWithScan(publicNoSchema, bad);
      assert.equal(res.status, 400, `${JSON.stringify(bad).slice(0, 200)} → ${res.status} ${res.text.slice(0, 300)}`);
    }
    // A waiver in the claim that expires too far ahead is refused by the gateway's own date rules.
    const far = await deployWithScan(publicNoSchema, { failOn: 'high', counts: { ...zeroCounts, high: 1 }, suppressed: 0, files: 1, waived: [{ ruleId: 'BWK-MAN-PUBLIC-ROUTE', severity: 'high', file: 'bulwark.yaml', line: 5, reason: 'webhook', expires: '2099-01-01' }] });
    assertError(far, 400, 'BWK_E_SCANNER_WAIVERS_INVALID', p.secrets);
    assert.match(far.text, /more than 90 days ahead/);
  });

  test('the deploy body\'s files cannot replace the manifest the gateway re-scans, nor break the re-scan', async () => {
    const dir = await project({ 'bulwark.yaml': manifest('files-swap', ['{ method: POST, path: /, auth: public }']), 'index.mjs': safeHandler });
    const { body } = await deployBody(dir);
    const clean = manifest('files-swap', ['{ method: POST, path: / }']);
    const claim = { failOn: 'high', counts: zeroCounts, suppressed: 0, files: 1, waived: [] };
    for (const files of [{ 'bulwark.yaml': clean }, { './bulwark.yaml': clean }, { '.': 'x' }, { a: 'x', 'a/b.json': '{}' }, { 'bulwark.yaml/x.json': '{}' }]) {
      const answer = await p.request('POST', '/admin/v1/functions', { key: p.adminKey, body: JSON.stringify({ ...JSON.parse(body), files, scan: claim }), headers: { 'content-type': 'application/json' } });
      assertError(answer, 422, 'BWK_E_SCANNER_GATE_REFUSED', p.secrets);
      assert.match(answer.text, /BWK-MAN-PUBLIC-ROUTE/, JSON.stringify(files));
    }
    assert.deepEqual(await p.versions('files-swap'), { active: undefined, versions: [] });
  });

  test('known gap, pinned: a deploy without a scan summary is recorded as source none, not refused', async () => {
    const dir = await project({ 'bulwark.yaml': manifest('no-claim', ['{ method: POST, path: /, auth: public }']), 'index.mjs': safeHandler });
    const answer = await p.deployRaw(dir);
    assert.equal(answer.status, 201, answer.text);
    const scans = await p.request('GET', '/admin/v1/functions/no-claim/scans', { key: p.adminKey });
    const body = scans.json as { scans: Array<{ source: string; serverCounts: Record<string, number> }> };
    assert.equal(body.scans[0]!.source, 'none');
    assert.equal(body.scans[0]!.serverCounts.high, 1);
  });
});

describe('scanner.requireScan: the gate made binding on every deploy (real HTTP)', () => {
  let p: TestPlatform;
  before(async () => {
    p = await startTestPlatform({ overrides: { scanner: { failOn: 'high', requireScan: true } } });
  });
  after(async () => {
    await p?.close();
  });

  test('a deploy without a scan summary is refused and stores nothing; the CLI, which sends one, deploys', async () => {
    const dir = await project({ 'bulwark.yaml': manifest('must-scan', ['{ method: POST, path: / }']), 'index.mjs': safeHandler });
    const raw = await p.deployRaw(dir);
    assertError(raw, 422, 'BWK_E_SCANNER_GATE_REFUSED', p.secrets);
    assert.match(raw.text, /requires the scan summary/);
    assert.deepEqual(await p.versions('must-scan'), { active: undefined, versions: [] });

    const run = await runCli(['deploy', dir], { BULWARK_HOME: p.home, BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey }, dir);
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(await p.versions('must-scan'), { active: 1, versions: [1] });
    const scans = await p.request('GET', '/admin/v1/functions/must-scan/scans', { key: p.adminKey });
    assert.equal((scans.json as { scans: Array<{ source: string }> }).scans[0]!.source, 'cli');
  });
});

describe('BWK-DOS-REDOS on a file of patterns recheck cannot decide in time', () => {
  test('after MAX_TIMEOUTS_PER_FILE timeouts the rest of the file is not sent to recheck, and that is a listed scan problem', async () => {
    // Large counted repetitions inside starred groups: recheck's automaton grows with the counter.
    const lines = Array.from({ length: 400 }, (_, i) => `export const r${i} = /^(?:[a-z${i % 10}]+\\.)*(?:[a-z]{2,${i + 100}}\\d*)+(?:x${i}|y+)*$/;`);
    const dir = await project({ 'patterns.mjs': lines.join('\n') + '\n' });
    const scan = await runCli(['scan', dir, '--rules', 'BWK-DOS-REDOS'], {}, dir);
    assert.match(scan.stdout, /parse: patterns\.mjs: rule BWK-DOS-REDOS failed on this file: 20 regular expressions could not be checked in time \(50 ms each, 500 ms for up to 2 retries\)/);
    assert.doesNotMatch(scan.stderr, /BWK_E_SCANNER_INCOMPLETE/, 'a rule problem is not an unanalysed file');
  });
});
