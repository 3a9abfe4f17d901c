// Every regular expression the guard runs on caller input, proved safe from catastrophic backtracking:
// each must compile for V8's linear-time engine (the `l` flag refuses what that engine cannot run), which
// is the engine the backtrack fallback set in src/manifest/input-schema.ts restarts a runaway match on.
// No `i` flag (the patterns run on lower-cased text) and no `u`/`v`: with them V8 has no fallback.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import './index.ts';
import { detectors } from './detectors/index.ts';
import { decodePatterns } from './decode.ts';
import { fieldPatterns } from './fields.ts';
import { scanPatterns } from './scan.ts';

const groups: Array<[string, readonly RegExp[]]> = [
  ...detectors.map((d): [string, readonly RegExp[]] => [`detector ${d.id}`, d.patterns]),
  ['decode.ts', decodePatterns],
  ['fields.ts', fieldPatterns],
  ['scan.ts', scanPatterns],
];

test('every pattern compiles for the linear-time engine and carries no i, u or v flag', () => {
  let count = 0;
  for (const [where, patterns] of groups) {
    assert.ok(patterns.length > 0, `${where} lists its patterns`);
    for (const p of patterns) {
      count++;
      assert.doesNotMatch(p.flags, /[iuv]/, `${where}: /${p.source}/${p.flags}`);
      assert.doesNotThrow(() => new RegExp(p.source, 'l'), `${where}: /${p.source}/ cannot run in linear time`);
    }
  }
  assert.ok(count > 60);
});

test('the linear-time check itself refuses a catastrophic pattern', () => {
  assert.throws(() => new RegExp('^(a|a)+\\1$', 'l'));
});
