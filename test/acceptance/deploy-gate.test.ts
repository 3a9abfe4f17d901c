// Acceptance: the security scan gate of `bulwark deploy` (docs/scanner.md). Through the real CLI (a
// child process) against a real gateway: a function whose handler evals its request body (a critical
// BWK-INJ-CODE finding) is refused with the finding shown and nothing stored; with a waiver that has a
// reason and an expiry it deploys, and the gateway records the waiver (admin API, store, security
// events, audit ledger); an expired waiver or one without a reason refuses the deploy with the
// waivers file's line:col. The gateway also holds a raw deploy's scan claim to its own threshold.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { rm } from 'node:fs/promises';
import { deployBody, manifest, runCli, startTestPlatform, writeFunction, type TestPlatform } from '../support/platform.ts';

const evalHandler = [
  'export const handler = async (event) => {',
  '  const expression = event.body;',
  '  const value = eval(expression);',
  "  return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: String(value) };",
  '};',
  '',
].join('\n');

const day = (offsetDays: number) => new Date(Date.now() + offsetDays * 86_400_000).toISOString().slice(0, 10);

describe('deploy gate: the security scan before a deploy', () => {
  let p: TestPlatform;
  let cliEnv: Record<string, string>;
  const dirs: string[] = [];

  async function calcDir(name: string, waivers?: string): Promise<string> {
    const dir = await writeFunction({
      'bulwark.yaml': manifest(name, ['{ method: POST, path: / }'], ['budget: { limit: 5.00, period: month, perCaller: 0.50 }']),
      'index.mjs': evalHandler,
      ...(waivers === undefined ? {} : { 'bulwark.waivers.yaml': waivers }),
    });
    dirs.push(dir);
    return dir;
  }

  before(async () => {
    p = await startTestPlatform();
    cliEnv = { BULWARK_HOME: p.home, BULWARK_URL: p.url, BULWARK_API_KEY: p.adminKey };
  });

  after(async () => {
    await p?.close();
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });

  test('a critical finding refuses the deploy: non-zero exit, the finding with its code frame shown, nothing stored', async () => {
    const dir = await calcDir('calc-refused');
    const eventsBefore = p.events.length;
    const run = await runCli(['deploy', dir], cliEnv, dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /CRITICAL \(1\)/);
    assert.match(run.stderr, /BWK-INJ-CODE {2}.*\n {2}at index\.mjs:3:\d+\n/);
    assert.match(run.stderr, /> 3 \| {3}const value = eval\(expression\);/);
    assert.match(run.stderr, /docs: docs\/rules\/BWK-INJ-CODE\.md/);
    assert.match(run.stderr, /error BWK_E_SCANNER_GATE_REFUSED: Deploy refused by the security scan: 1 finding\(s\) at or above high without a waiver/);
    assert.doesNotMatch(run.stderr, /\n\s+at .*\(.*:\d+:\d+\)/, 'no stack trace');
    assert.deepEqual(await p.versions('calc-refused'), { active: undefined, versions: [] });
    assert.deepEqual(p.events.slice(eventsBefore).filter((e) => e.type.startsWith('deploy.') || e.type.startsWith('scan.')), [], 'nothing reached the gateway');
  });

  test('with a valid waiver it deploys, and the waiver is recorded: admin API, store, scan.completed, scan.waived, audit ledger', async () => {
    const expires = day(30);
    const dir = await calcDir('calc-waived', [
      '- rule: BWK-INJ-CODE',
      '  file: index.mjs',
      '  reason: the calculator evaluates arithmetic from a trusted internal caller; replaced by a parser in Q3',
      `  expires: ${expires}`,
      '  approvedBy: security@example.com',
      '',
    ].join('\n'));
    const run = await runCli(['deploy', dir, '--json'], cliEnv, dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, new RegExp(`waived: BWK-INJ-CODE at index\\.mjs:3 \\(critical\\) until ${expires}`));
    const deployed = JSON.parse(run.stdout) as { name: string; version: number };
    assert.deepEqual([deployed.name, deployed.version], ['calc-waived', 1]);

    const expected = {
      ruleId: 'BWK-INJ-CODE', severity: 'critical', file: 'index.mjs', line: 3,
      reason: 'the calculator evaluates arithmetic from a trusted internal caller; replaced by a parser in Q3', expires, approvedBy: 'security@example.com',
    };
    const scans = await p.request('GET', '/admin/v1/functions/calc-waived/scans', { key: p.adminKey });
    assert.equal(scans.status, 200, scans.text);
    const [record] = (scans.json as { scans: Array<Record<string, any>> }).scans;
    assert.equal(record!.version, 1);
    assert.equal(record!.source, 'cli');
    assert.equal(record!.failOn, 'high');
    assert.equal(record!.counts.critical, 1);
    assert.deepEqual(record!.waived, [expected]);
    assert.deepEqual((await p.platform.store.scans.get('calc-waived', 1))?.waived, [expected]);

    const completed = p.events.find((e) => e.type === 'scan.completed' && e.function === 'calc-waived');
    assert.ok(completed, 'scan.completed published');
    assert.equal(completed.version, 1);
    assert.equal(completed.detail?.waived, 1);
    const waived = p.events.find((e) => e.type === 'scan.waived' && e.function === 'calc-waived');
    assert.ok(waived, 'scan.waived published');
    assert.deepEqual(waived.detail?.waivers, [expected]);
    const ledger = await p.platform.store.audit.query({ action: 'scan.waived', limit: 10 });
    assert.equal(ledger.length, 1);
    assert.equal(ledger[0]!.target, 'calc-waived@1');
    assert.match(ledger[0]!.details, /BWK-INJ-CODE/);

    // It really is the active version (at run time the sandbox still refuses code generation from strings).
    assert.deepEqual(await p.versions('calc-waived'), { active: 1, versions: [1] });
  });

  test('an expired waiver refuses the deploy with the waivers file position', async () => {
    const dir = await calcDir('calc-expired', `- rule: BWK-INJ-CODE\n  reason: accepted last year\n  expires: ${day(-2)}\n`);
    const run = await runCli(['deploy', dir], cliEnv, dir);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, new RegExp(`error BWK_E_SCANNER_WAIVERS_INVALID: Waivers are invalid: 1 problem\\nbulwark\\.waivers\\.yaml:3:12: waiver 1 \\(BWK-INJ-CODE\\) expired on ${day(-2)}`));
    assert.deepEqual(await p.versions('calc-expired'), { active: undefined, versions: [] });
  });

  test('a waiver without a reason (or with an empty one) refuses the deploy', async () => {
    const missing = await calcDir('calc-noreason', `- rule: BWK-INJ-CODE\n  expires: ${day(10)}\n`);
    const run = await runCli(['deploy', missing], cliEnv, missing);
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /error BWK_E_SCANNER_WAIVERS_INVALID: .*\nbulwark\.waivers\.yaml:1:3: waiver 1 has no reason \(rule, reason and expires are required\)/);

    const empty = await calcDir('calc-noreason', `- rule: BWK-INJ-CODE\n  reason: "  "\n  expires: ${day(10)}\n`);
    const again = await runCli(['deploy', empty], cliEnv, empty);
    assert.equal(again.code, 1, again.stderr);
    assert.match(again.stderr, /bulwark\.waivers\.yaml:2:11: waiver 1: reason must say why the finding is accepted/);
    assert.deepEqual(await p.versions('calc-noreason'), { active: undefined, versions: [] });
  });

  test('the gateway holds a raw deploy\'s scan claim to its own threshold and waiver rules', async () => {
    const dir = await calcDir('calc-raw');
    const { body } = await deployBody(dir);
    const counts = { info: 0, low: 0, medium: 0, high: 0, critical: 1 };
    const post = (scan: unknown) => p.request('POST', '/admin/v1/functions', { key: p.adminKey, body: JSON.stringify({ ...JSON.parse(body), scan }), headers: { 'content-type': 'application/json' } });

    const unwaived = await post({ failOn: 'critical', counts, suppressed: 0, files: 2, waived: [] });
    assert.equal(unwaived.status, 422, unwaived.text);
    assert.equal((unwaived.json as any).error.code, 'BWK_E_SCANNER_GATE_REFUSED');
    const stale = { ruleId: 'BWK-INJ-CODE', severity: 'critical', file: 'index.mjs', line: 3, reason: 'old', expires: day(-1) };
    const expired = await post({ failOn: 'high', counts, suppressed: 0, files: 2, waived: [stale] });
    assert.equal(expired.status, 400, expired.text);
    assert.equal((expired.json as any).error.code, 'BWK_E_SCANNER_WAIVERS_INVALID');
    const blank = await post({ failOn: 'high', counts, suppressed: 0, files: 2, waived: [{ ...stale, reason: ' ', expires: day(5) }] });
    assert.equal(blank.status, 400, blank.text);
    assert.deepEqual(await p.versions('calc-raw'), { active: undefined, versions: [] });

    // Without a claim (an older client): deployed and recorded as such.
    const plain = await p.request('POST', '/admin/v1/functions', { key: p.adminKey, body, headers: { 'content-type': 'application/json' } });
    assert.equal(plain.status, 201, plain.text);
    assert.equal((await p.platform.store.scans.get('calc-raw', 1))?.source, 'none');
  });
});

