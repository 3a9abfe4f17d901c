// The orchestration around the engines: walking, ignore lists, suppressions, baselines, sorting and
// error reporting. The engine here is a tiny real one over real files (it reports each line containing
// a marker word), so these tests pin what scan.ts does independently of the rules being written.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import { scan, fingerprint, findSuppression, ignored } from './scan.ts';
import { baselineOf } from './baseline.ts';
import type { Engine, Finding, Rule, RuleMeta } from './types.ts';
import { isBulwarkError } from '../errors.ts';

const meta = (id: string, severity: RuleMeta['severity']): RuleMeta => ({
  id, engine: 'js', severity, owasp: 'SAS-1', cwe: ['CWE-78'], description: `${id} finds markers.`, fix: 'Remove the marker.',
  messages: { found: 'Marker {{word}} found' }, mitigatedBy: ['injection'],
});

/** Reports every line containing the rule's marker word (rule BWK-T-<WORD>); a file containing PARSEFAIL is a parse error. */
const markerEngine: Engine = {
  id: 'js',
  claims: (f) => f.endsWith('.js'),
  async run({ root, files, rules, onError }) {
    const out: Finding[] = [];
    for (const file of files) {
      const text = await readFile(join(root, file), 'utf8');
      if (text.includes('PARSEFAIL')) { onError?.(file, 'Unexpected token (1:1)'); continue; }
      text.split('\n').forEach((line, i) => {
        for (const r of rules) {
          const word = r.meta.id.split('-').at(-1)!;
          // Not preceded by '-': the rule ids in suppression comments are not markers.
          const col = line.search(new RegExp(`(?<!-)${word}`));
          if (col >= 0) out.push({ ruleId: r.meta.id, severity: r.meta.severity, messageId: 'found', message: `Marker ${word} found`, file, line: i + 1, column: col + 1, data: { word } });
        }
      });
    }
    return out;
  },
};

const rules: Record<string, Rule> = {
  'BWK-T-BOOM': { meta: meta('BWK-T-BOOM', 'critical'), check() {} },
  'BWK-T-MEH': { meta: meta('BWK-T-MEH', 'low'), check() {} },
};

async function project(files: Record<string, string>) {
  const root = await mkdtemp(join(tmpdir(), 'bwk-scan-'));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

test('scan: walks the tree, skips dependency and build folders, sorts most severe first', async (t) => {
  const root = await project({
    'b.js': 'MEH\nBOOM\n',
    'a.js': 'x\nMEH\n',
    'lib/c.js': 'BOOM\n',
    'node_modules/dep/index.js': 'BOOM\n',
    'dist/out.js': 'BOOM\n',
    'README.md': 'BOOM\n',
  });
  t.after(() => rm(root, { recursive: true, force: true }));
  const r = await scan(root, {}, { engines: [markerEngine], rules });
  assert.deepEqual(r.findings.map((f) => `${f.severity} ${f.file}:${f.line}`), ['critical b.js:2', 'critical lib/c.js:1', 'low a.js:2', 'low b.js:1']);
  assert.equal(r.files.scanned, 3);
  assert.equal(r.files.bytes, 'MEH\nBOOM\n'.length + 'x\nMEH\n'.length + 'BOOM\n'.length);
  assert.deepEqual(r.rules.map((m) => m.id), ['BWK-T-BOOM', 'BWK-T-MEH']);
});

test('scan: .bulwarkignore patterns, rule selection, minimum severity, unknown rule', async (t) => {
  const root = await project({ 'keep.js': 'BOOM MEH\n', 'gen/x.js': 'BOOM\n', 'skip.gen.js': 'BOOM\n', '.bulwarkignore': '# generated\ngen/\n*.gen.js\n' });
  t.after(() => rm(root, { recursive: true, force: true }));
  const all = await scan(root, {}, { engines: [markerEngine], rules });
  assert.deepEqual(all.findings.map((f) => f.file), ['keep.js', 'keep.js']);
  const onlyMeh = await scan(root, { rules: ['BWK-T-MEH'] }, { engines: [markerEngine], rules });
  assert.deepEqual(onlyMeh.findings.map((f) => f.ruleId), ['BWK-T-MEH']);
  const high = await scan(root, { minSeverity: 'high' }, { engines: [markerEngine], rules });
  assert.deepEqual(high.findings.map((f) => f.ruleId), ['BWK-T-BOOM']);
  await assert.rejects(scan(root, { rules: ['BWK-NOPE'] }, { engines: [markerEngine], rules }), (e) => isBulwarkError(e) && e.code === 'BWK_E_SCANNER_RULE_UNKNOWN');
  await assert.rejects(scan(join(root, 'missing'), {}, { engines: [markerEngine], rules }), (e) => isBulwarkError(e) && e.code === 'BWK_E_SCANNER_ROOT_INVALID');
});

test('scan: suppressions need the rule id and a reason; one without a reason is a scan error and suppresses nothing', async (t) => {
  const root = await project({
    'a.js': [
      '// bulwark-ignore BWK-T-BOOM: fixture input, never reaches production',
      'BOOM',
      'BOOM // bulwark-ignore BWK-T-BOOM: trailing form',
      'BOOM /* bulwark-ignore BWK-T-MEH, BWK-T-BOOM: listed with another id */',
      '# bulwark-ignore BWK-T-BOOM:',
      'BOOM',
      '// bulwark-ignore BWK-T-MEH: wrong rule',
      'BOOM',
      'x = 1; // bulwark-ignore BWK-T-BOOM: code above a comment line does not count',
      'BOOM',
    ].join('\n'),
  });
  t.after(() => rm(root, { recursive: true, force: true }));
  const r = await scan(root, {}, { engines: [markerEngine], rules });
  assert.deepEqual(r.suppressed.map((f) => [f.line, f.suppression.reason]), [
    [2, 'fixture input, never reaches production'], [3, 'trailing form'], [4, 'listed with another id'],
  ]);
  assert.deepEqual(r.findings.filter((f) => f.ruleId === 'BWK-T-BOOM').map((f) => f.line), [6, 8, 10]);
  assert.deepEqual(r.errors.map((e) => [e.kind, e.file, e.line]), [['suppression', 'a.js', 5]]);
  assert.match(r.errors[0]!.reason, /has no reason/);
});

test('scan: a baseline accepts known findings by fingerprint, survives moved lines, counts duplicates', async (t) => {
  const root = await project({ 'a.js': 'BOOM\nlet y = MEH\n' });
  t.after(() => rm(root, { recursive: true, force: true }));
  const first = await scan(root, {}, { engines: [markerEngine], rules });
  const baseline = baselineOf(first);
  assert.equal(baseline.findings.length, 2);
  // Lines moved down, one accepted finding duplicated, one new finding.
  await writeFile(join(root, 'a.js'), '\n\nBOOM\nlet   y = MEH\nBOOM\nnew BOOM here\n');
  const next = await scan(root, { baseline }, { engines: [markerEngine], rules });
  assert.deepEqual(next.baselined.map((f) => f.line), [3, 4]);
  assert.deepEqual(next.findings.map((f) => f.line), [5, 6]);
  assert.equal(fingerprint('R', 'a.js', '  a   b '), fingerprint('R', 'a.js', 'a b'));
  assert.notEqual(fingerprint('R', 'a.js', 'a b'), fingerprint('R', 'b.js', 'a b'));
});

test('scan: parse failures and a failing engine are reported as errors, other files still scanned', async (t) => {
  const root = await project({ 'bad.js': 'PARSEFAIL', 'ok.js': 'BOOM\n' });
  t.after(() => rm(root, { recursive: true, force: true }));
  const broken: Engine = { id: 'deps', claims: () => true, run: async () => { throw new Error('lockfile reader exploded\nstack'); } };
  const depRule: Rule = { meta: { ...meta('BWK-T-DEP', 'high'), engine: 'deps' }, check() {} };
  const r = await scan(root, {}, { engines: [markerEngine, broken], rules: { ...rules, 'BWK-T-DEP': depRule } });
  assert.deepEqual(r.findings.map((f) => f.file), ['ok.js']);
  assert.deepEqual(r.errors.map((e) => `${e.kind} ${e.file} ${e.reason}`), [
    'engine  engine deps failed: lockfile reader exploded',
    'parse bad.js Unexpected token (1:1)',
  ]);
});

test('findSuppression and ignored: unit cases', () => {
  assert.deepEqual(findSuppression(['eval(x) // bulwark-ignore BWK-INJ-CODE: trusted'], 1, 'BWK-INJ-CODE'), { line: 1, reason: 'trusted' });
  assert.equal(findSuppression(['eval(x) // bulwark-ignore BWK-INJ-CODE: trusted'], 1, 'BWK-INJ-CMD'), undefined);
  assert.deepEqual(findSuppression(['  # bulwark-ignore BWK-IAC-STAR', 'x'], 2, 'BWK-IAC-STAR'), { line: 1, reason: '' });
  assert.ok(ignored('a/b/fixtures', true, ['fixtures/']));
  assert.ok(!ignored('a/b/fixtures', false, ['fixtures/']));
  assert.ok(ignored('src/x.min.js', false, ['*.min.js']));
  assert.ok(!ignored('lib/x.js', false, ['/x.js']));
  assert.ok(ignored('x.js', false, ['/x.js']));
});
