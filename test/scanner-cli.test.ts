// `bulwark scan` through the real CLI (a child process) over a real project: exit codes, the three
// formats (SARIF validated against the official schema), --output, baselines. The findings come from
// the real manifest engine: a public route without an input schema (BWK-MAN-PUBLIC-ROUTE, high).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './support/platform.ts';
import { sarifValidator } from './support/sarif.ts';

const manifestSource = [
  'name: open-door', 'handler: index.mjs#handler', 'owner: tests@example.com', 'expires: 2099-12-31',
  'budget: { limit: 5.00, period: month, perCaller: 0.50 }',
  'triggers:', '  - http: { method: GET, path: /, auth: public }', '',
].join('\n');

async function project(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-scan-cli-'));
  await writeFile(join(dir, 'bulwark.yaml'), manifestSource);
  await writeFile(join(dir, 'index.mjs'), "export const handler = async () => ({ statusCode: 200, body: 'hi' });\n");
  return dir;
}

test('bulwark scan: text report and exit 1 at the default --fail-on high; exit 0 below a higher threshold', async (t) => {
  const dir = await project();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['scan', dir], {}, dir);
  assert.equal(r.code, 1, r.stderr);
  assert.match(r.stdout, /^HIGH \(1\)\n\n {2}BWK-MAN-PUBLIC-ROUTE {2}.*\n {2}at bulwark\.yaml:7:\d+\n/m);
  assert.match(r.stdout, /> 7 \| {3}- http: \{ method: GET, path: \/, auth: public \}/);
  assert.match(r.stdout, /docs: docs\/rules\/BWK-MAN-PUBLIC-ROUTE\.md/);
  assert.match(r.stderr, /error BWK_E_SCANNER_FINDINGS: 1 finding\(s\) at or above high/);
  const lenient = await runCli(['scan', dir, '--fail-on', 'critical'], {}, dir);
  assert.equal(lenient.code, 0, lenient.stderr);
  assert.match(lenient.stdout, /BWK-MAN-PUBLIC-ROUTE/);
});

test('bulwark scan --format sarif --output: a file valid against the SARIF 2.1.0 schema', async (t) => {
  const dir = await project();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const r = await runCli(['scan', '.', '--format', 'sarif', '--output', 'out.sarif', '--fail-on', 'critical'], {}, dir);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout, '');
  const log = JSON.parse(await readFile(join(dir, 'out.sarif'), 'utf8'));
  const validator = sarifValidator();
  assert.ok(validator.check(log), JSON.stringify(validator.errors(), null, 2));
  const result = log.runs[0].results.find((x: { ruleId: string }) => x.ruleId === 'BWK-MAN-PUBLIC-ROUTE');
  assert.equal(result.level, 'error');
  assert.equal(result.locations[0].physicalLocation.artifactLocation.uri, 'bulwark.yaml');
  assert.equal(log.runs[0].tool.driver.rules[result.ruleIndex].id, 'BWK-MAN-PUBLIC-ROUTE');
});

test('bulwark scan --format json, --write-baseline then --baseline: accepted findings no longer fail', async (t) => {
  const dir = await project();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const json = await runCli(['scan', dir, '--format', 'json'], {}, dir);
  assert.equal(json.code, 1);
  const doc = JSON.parse(json.stdout);
  assert.equal(doc.version, 1);
  assert.equal(doc.summary.bySeverity.high, 1);
  assert.equal(doc.findings[0].ruleId, 'BWK-MAN-PUBLIC-ROUTE');

  const written = await runCli(['scan', dir, '--write-baseline', 'baseline.json'], {}, dir);
  assert.equal(written.code, 0, written.stderr);
  // Moving the finding's line down keeps it accepted.
  await writeFile(join(dir, 'bulwark.yaml'), `# moved\n${manifestSource}`);
  const again = await runCli(['scan', dir, '--baseline', 'baseline.json', '--format', 'json'], {}, dir);
  assert.equal(again.code, 0, again.stderr);
  const after = JSON.parse(again.stdout);
  assert.equal(after.summary.baselined, doc.summary.findings);
  assert.deepEqual(after.findings, []);
});

test('bulwark scan: usage and scan errors exit 2', async (t) => {
  const dir = await project();
  t.after(() => rm(dir, { recursive: true, force: true }));
  const missing = await runCli(['scan', join(dir, 'nope')], {}, dir);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /error BWK_E_SCANNER_ROOT_INVALID/);
  await writeFile(join(dir, 'bad.json'), '{"version": 2}');
  const bad = await runCli(['scan', dir, '--baseline', 'bad.json'], {}, dir);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /error BWK_E_SCANNER_BASELINE_INVALID: Baseline bad\.json is invalid/);
  const flag = await runCli(['scan', dir, '--format', 'xml'], {}, dir);
  assert.equal(flag.code, 2);
  const rule = await runCli(['scan', dir, '--rules', 'BWK-NOPE'], {}, dir);
  assert.equal(rule.code, 2);
  assert.match(rule.stderr, /error BWK_E_SCANNER_RULE_UNKNOWN/);
});
