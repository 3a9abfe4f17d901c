// Author patterns run on V8's linear-time engine: a catastrophic-backtracking pattern is harmless, and
// one the engine cannot run is refused with the pattern and the reason.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileInputSchema, LinearPatternError } from './input-schema.ts';

test('pattern and patternProperties are compiled for the linear-time engine', () => {
  const validate = compileInputSchema({
    type: 'object',
    properties: { s: { type: 'string', pattern: '^(a|a)+$' } },
    patternProperties: { '^(x+x+)+y$': { type: 'number' } },
  });
  // On the backtracking engine each of these takes exponential time (2^n steps for n = 100 000 would
  // never finish); the linear engine answers in one pass, so this test completing is the assertion.
  const evil = 'a'.repeat(100_000) + '!';
  assert.equal(validate({ s: evil }), false);
  assert.equal(validate({ s: 'aaaa' }), true);
  assert.equal(validate({ ['x'.repeat(100_000)]: 'not a number' }), true, 'a key that does not match the property pattern is not checked');
  assert.equal(validate({ xxy: 'not a number' }), false, 'a matching key is checked against its schema');
});

test('patterns the linear engine cannot run are refused at compile time, naming the pattern and why', () => {
  const refuse = (pattern: string, reason: RegExp) => assert.throws(
    () => compileInputSchema({ type: 'string', pattern }),
    (err: unknown) => err instanceof LinearPatternError && err.pattern === pattern && reason.test(err.message),
  );
  refuse('^(a)\\1$', /backreference/);
  refuse('^(?<q>a)\\k<q>$', /backreference/);
  refuse('^(?=a)a$', /lookahead/);
  refuse('^a{1,17}$', /more than 16 times.*maxLength/);
  refuse('^\\p{L}+$', /\\p\{…\}/);
  refuse('^(a{0,10}){0,10}$', /cannot run in linear time/);
  refuse('(', /is not a valid regular expression/);
  assert.doesNotThrow(() => compileInputSchema({ type: 'string', pattern: '^\\\\p[a-z]$' }), 'an escaped backslash before p is a literal');
  assert.doesNotThrow(() => compileInputSchema({ type: 'string', pattern: '^[A-Z0-9-]+$', maxLength: 32 }));
});
