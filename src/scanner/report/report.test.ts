// The three report formats over one real scan. SARIF is validated against the official SARIF 2.1.0
// JSON schema (test/support/sarif.ts).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { sarifValidator } from '../../../test/support/sarif.ts';
import { scan, type ScanResult } from '../scan.ts';
import type { Engine, Finding, Rule, RuleMeta } from '../types.ts';
import { sarifReport } from './sarif.ts';
import { textReport, codeFrame } from './text.ts';
import { jsonReport } from './json.ts';

const meta = (id: string, severity: RuleMeta['severity'], mitigatedBy?: string[]): RuleMeta => ({
  id, engine: 'js', severity, owasp: 'SAS-1', cwe: ['CWE-78'], description: `${id} finds something.`, fix: 'Do the safe thing.',
  messages: { m: 'Input from {{source}} reaches {{sink}}' }, ...(mitigatedBy ? { mitigatedBy } : {}),
});

// A real engine over real files: `exec(` is a sink reached from the line holding `event`, as a taint
// engine would report it (with a trace); `md5` is a plain pattern finding.
const engine: Engine = {
  id: 'js',
  claims: (f) => f.endsWith('.js'),
  async run({ root, files, rules }) {
    const out: Finding[] = [];
    for (const file of files) {
      const lines = (await readFile(join(root, file), 'utf8')).split('\n');
      const src = lines.findIndex((l) => l.includes('event'));
      lines.forEach((l, i) => {
        const sink = l.indexOf('exec(');
        if (sink >= 0 && rules.some((r) => r.meta.id === 'BWK-T-CMD')) {
          out.push({
            ruleId: 'BWK-T-CMD', severity: 'critical', messageId: 'm', message: 'Input from event.body reaches exec', data: { source: 'event.body', sink: 'exec' },
            file, line: i + 1, column: sink + 1, endLine: i + 1, endColumn: sink + 5,
            trace: [{ file, line: src + 1, column: lines[src]!.indexOf('event') + 1 }, { file, line: i + 1, column: sink + 1 }],
          });
        }
        const md5 = l.indexOf('md5');
        if (md5 >= 0 && rules.some((r) => r.meta.id === 'BWK-T-HASH')) {
          out.push({ ruleId: 'BWK-T-HASH', severity: 'medium', messageId: 'm', message: 'weak hash', file, line: i + 1, column: md5 + 1 });
        }
      });
    }
    return out;
  },
};
const rules: Record<string, Rule> = {
  'BWK-T-CMD': { meta: meta('BWK-T-CMD', 'critical', ['injection']), check() {} },
  'BWK-T-HASH': { meta: meta('BWK-T-HASH', 'medium'), check() {} },
};

async function sampleScan(): Promise<{ result: ScanResult; cleanup: () => Promise<void> }> {
  const root = await mkdtemp(join(tmpdir(), 'bwk-report-'));
  const files = {
    'src/handler with space.js': [
      "import { exec } from 'node:child_process';",
      'export async function handler(event) {',
      '  const dir = event.body;',
      '  exec(`ls ${dir}`);',
      "  createHash('md5'); // bulwark-ignore BWK-T-HASH: checksum of a public file, not a secret",
      '}',
    ].join('\n'),
    'lib/util.js': "const h = createHash('md5');\n",
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  const result = await scan(root, {}, { engines: [engine], rules });
  return { result, cleanup: () => rm(root, { recursive: true, force: true }) };
}

test('sarif: validates against the official SARIF 2.1.0 schema, with rules, regions, fingerprints, code flows and suppressions', async (t) => {
  const { result, cleanup } = await sampleScan();
  t.after(cleanup);
  const log = sarifReport(result, { toolVersion: '0.1.0', docsBaseUrl: 'https://docs.example.org/bulwark' }) as any;
  const validate = sarifValidator();
  assert.ok(validate.check(log), JSON.stringify(validate.errors(), null, 2));

  const run = log.runs[0];
  assert.deepEqual(run.tool.driver.rules.map((r: any) => r.id), ['BWK-T-CMD', 'BWK-T-HASH']);
  const cmd = run.tool.driver.rules[0];
  assert.equal(cmd.helpUri, 'https://docs.example.org/bulwark/docs/rules/BWK-T-CMD.md');
  assert.equal(cmd.defaultConfiguration.level, 'error');
  assert.deepEqual(cmd.properties.tags, ['security', 'external/cwe/cwe-78', 'owasp-serverless/SAS-1', 'engine/js']);
  const [taint, weak, suppressed] = run.results;
  assert.equal(taint.ruleId, 'BWK-T-CMD');
  assert.equal(taint.ruleIndex, 0);
  assert.deepEqual(taint.locations[0].physicalLocation, {
    artifactLocation: { uri: 'src/handler%20with%20space.js', uriBaseId: '%SRCROOT%' },
    region: { startLine: 4, startColumn: 3, endLine: 4, endColumn: 7 },
  });
  assert.deepEqual(taint.codeFlows[0].threadFlows[0].locations.map((l: any) => l.location.physicalLocation.region.startLine), [2, 4]);
  assert.match(taint.partialFingerprints['bulwarkFingerprint/v1'], /^[0-9a-f]{32}$/);
  assert.equal(weak.ruleIndex, 1);
  assert.equal(weak.level, 'warning');
  assert.equal(suppressed.suppressions[0].justification, 'checksum of a public file, not a secret');

  // A broken log is refused: the validator is not a rubber stamp.
  const broken = structuredClone(log);
  broken.runs[0].results[0].locations[0].physicalLocation.region.startLine = 0;
  assert.equal(validate.check(broken), false);
  delete broken.version;
  assert.equal(validate.check(broken), false);
});

test('text: grouped by severity with code frame, caret, trace, fix, runtime guard and docs link', async (t) => {
  const { result, cleanup } = await sampleScan();
  t.after(cleanup);
  const text = textReport(result);
  assert.ok(text.indexOf('CRITICAL (1)') < text.indexOf('MEDIUM (1)'));
  assert.match(text, /BWK-T-CMD {2}Input from event.body reaches exec\n {2}at src\/handler with space\.js:4:3\n/);
  assert.match(text, / {2}> 4 \|   exec\(`ls \$\{dir\}`\);\n {6}\| {3}\^\^\^\^\n/);
  assert.match(text, /trace: src\/handler with space\.js:2:31 → src\/handler with space\.js:4:3/);
  assert.match(text, /fix: Do the safe thing\./);
  assert.match(text, /mitigated at runtime by: injection/);
  assert.match(text, /docs: docs\/rules\/BWK-T-CMD\.md/);
  assert.match(text, /2 finding\(s\) \(1 critical, 1 medium\), 1 suppressed, 0 baselined; 2 file\(s\)/);
  assert.deepEqual(codeFrame(['a', 'b'], { file: 'x', line: 1, column: 1 }), ['  > 1 | a', '      | ^', '    2 | b']);
});

test('json: stable shape with summary, rule metadata and suppressions', async (t) => {
  const { result, cleanup } = await sampleScan();
  t.after(cleanup);
  const j = jsonReport(result, '0.1.0');
  assert.equal(j.version, 1);
  assert.deepEqual(j.summary.bySeverity, { info: 0, low: 0, medium: 1, high: 0, critical: 1 });
  assert.equal(j.findings[0]!.ruleId, 'BWK-T-CMD');
  assert.deepEqual(j.findings[0]!.mitigatedBy, ['injection']);
  assert.equal(j.findings[0]!.docs, 'docs/rules/BWK-T-CMD.md');
  assert.equal(j.suppressed[0]!.suppression.reason, 'checksum of a public file, not a secret');
  assert.deepEqual(JSON.parse(JSON.stringify(j)), j);
});
