// Author patterns must compile for V8's linear-time engine and run on the default engine with the
// linear fallback: a catastrophic-backtracking pattern is harmless, one the engine cannot run is refused
// with the pattern and the reason, and matching keeps JSON Schema's (`u` flag) reading of characters.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compileInputSchema, LinearPatternError } from './input-schema.ts';

test('pattern and patternProperties cannot backtrack catastrophically', () => {
  const validate = compileInputSchema({
    type: 'object',
    properties: { s: { type: 'string', pattern: '^(a|a)+$' } },
    patternProperties: { '^(x+x+)+y$': { type: 'number' } },
  });
  // Without the fallback to the linear engine each of these takes exponential time (2^n steps for
  // n = 100 000 would never finish), so this test completing is the assertion.
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
  refuse('^😀$', /outside the Basic Multilingual Plane/);
  refuse('^\\uD83D\\uDE00$', /outside the Basic Multilingual Plane/);
  refuse('^[\\u0000-\\uFFFF]$', /U\+FFFF/);
  assert.doesNotThrow(() => compileInputSchema({ type: 'string', pattern: '^\\\\p[a-z]$' }), 'an escaped backslash before p is a literal');
  assert.doesNotThrow(() => compileInputSchema({ type: 'string', pattern: '^[A-Z0-9-]+$', maxLength: 32 }));
});

test('matching keeps the u-flag reading: a character outside the BMP is one character, lone surrogates too', () => {
  const one = compileInputSchema({ type: 'string', pattern: '^.$' });
  assert.equal(one('😀'), true);
  assert.equal(one('é'), true);
  assert.equal(one('ab'), false);
  assert.equal(one('\ud800'), true, 'a lone surrogate is one code point with u');
  const two = compileInputSchema({ type: 'string', pattern: '^[^a]{2}$' });
  assert.equal(two('😀'), false);
  assert.equal(two('😀😀'), true);
  const word = compileInputSchema({ type: 'string', pattern: '^\\w+$' });
  assert.equal(word('abc😀'), false);
  const bmp = compileInputSchema({ type: 'string', pattern: '^[\\u0100-\\uFFFD]+$' });
  assert.equal(bmp('ĀĂ'), true);
  assert.equal(bmp('Ā😀'), false, 'a class of BMP characters never matches one outside it');
});

test('each pattern keeps its own meaning when a schema has several', () => {
  const validate = compileInputSchema({
    type: 'object',
    properties: { a: { type: 'string', pattern: '^a+$' }, b: { type: 'string', pattern: '^b+$' } },
    patternProperties: { '^x-': { type: 'number' } },
  });
  assert.equal(validate({ a: 'aa', b: 'bb', 'x-1': 1 }), true);
  assert.equal(validate({ a: 'aa', b: 'aa' }), false);
  assert.equal(validate({ a: 'aa', 'x-1': 'no' }), false);
  assert.equal(validate({ a: 'aa', ab: 'no' }), true, 'a key matching no property pattern is free');
});
