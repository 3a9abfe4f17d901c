// For detector tests: a string as the scan hands it to a detector (one form, lower-cased, its features),
// and an assertion in the style of ESLint's rule tester: every `flagged` case must be flagged and every
// `passed` case must pass, each reported by itself.

import assert from 'node:assert/strict';
import { features, type Detector, type Inspected, type ValueContext } from './types.ts';

export function inspected(text: string): Inspected {
  return { text, lower: text.toLowerCase(), features: features(text) };
}

const plain: ValueContext = { key: undefined, xmlBody: false, rawBody: false };

export function checkValues(detector: Detector, cases: { flagged: string[]; passed: string[] }, ctx: ValueContext = plain): void {
  assert.ok(cases.flagged.length > 0 && cases.passed.length > 0, 'a detector test needs cases of both kinds');
  for (const text of cases.flagged) assert.equal(detector.value!(inspected(text), ctx), true, `${detector.id} should flag ${JSON.stringify(text)}`);
  for (const text of cases.passed) assert.equal(detector.value!(inspected(text), ctx), false, `${detector.id} should pass ${JSON.stringify(text)}`);
}
