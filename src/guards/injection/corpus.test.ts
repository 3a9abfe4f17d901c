// The corpora in test/corpus/injection/ through the real guard: detection and false-positive rates are
// correctness, so they are asserted here (speed is measured by bench/injection.ts, never in tests).

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { attackCases, benignCases, jsonl } from '../../../test/corpus/injection/generate.ts';
import { corpusRates, readCorpus, type AttackCase, type BenignCase } from '../../../test/corpus/injection/corpus.ts';
import { injectionClasses } from './detectors/index.ts';
import { create } from './index.ts';

const corpusDir = join(import.meta.dirname, '../../../test/corpus/injection');

test('the committed corpora are what generate.ts produces (regenerate with node test/corpus/injection/generate.ts)', () => {
  assert.equal(readFileSync(join(corpusDir, 'attacks.jsonl'), 'utf8'), jsonl(attackCases()));
  assert.equal(readFileSync(join(corpusDir, 'benign.jsonl'), 'utf8'), jsonl(benignCases()));
});

test('the corpora are big and varied enough to mean something', () => {
  const attacks = readCorpus<AttackCase>('attacks.jsonl');
  const benign = readCorpus<BenignCase>('benign.jsonl');
  assert.ok(attacks.length >= 500, `${attacks.length} attacks`);
  assert.ok(benign.length >= 1000, `${benign.length} benign requests`);
  assert.deepEqual([...new Set(attacks.map((a) => a.class))].sort(), [...injectionClasses].sort(), 'every class has payloads');
  for (const cls of injectionClasses) assert.ok(attacks.filter((a) => a.class === cls).length >= 25, `${cls} has at least 25 payloads`);
  assert.deepEqual(new Set(attacks.map((a) => a.where)), new Set(['body', 'query', 'header', 'path', 'form', 'text', 'xml', 'json', 'querystring']));
  assert.ok(new Set(attacks.map((a) => a.encoding)).size >= 9, 'encoded variants');
  assert.ok(new Set(benign.map((b) => b.kind)).size >= 20, 'kinds of benign request');
});

test('detection ≥ 95% in every class and overall; false positives ≤ 0.5%', async (t) => {
  const rates = await corpusRates(create());
  for (const [cls, [detected, total]] of Object.entries(rates.byClass)) {
    t.diagnostic(`${cls}: ${detected}/${total}`);
    assert.ok(detected / total >= 0.95, `${cls}: ${detected}/${total} detected; missed ${JSON.stringify(rates.missed.filter((m) => m.class === cls).map((m) => m.payload))}`);
  }
  t.diagnostic(`overall ${rates.detected}/${rates.attacks}, false positives ${rates.falsePositives.length}/${rates.benign}`);
  assert.ok(rates.detected / rates.attacks >= 0.95);
  assert.ok(rates.falsePositives.length / rates.benign <= 0.005, `false positives: ${JSON.stringify(rates.falsePositives.map((f) => [f.rule, f.message]))}`);
});
