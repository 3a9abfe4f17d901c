import { test } from 'node:test';
import assert from 'node:assert/strict';
import { prototype } from './prototype.ts';
import { checkValues } from './testing.ts';

test('prototype: __proto__ anywhere and prototype under constructor are flagged as keys', () => {
  assert.equal(prototype.key!('__proto__', undefined), true);
  assert.equal(prototype.key!('__proto__', 'user'), true);
  assert.equal(prototype.key!('prototype', 'constructor'), true);
  assert.equal(prototype.key!('prototype', 'schema'), false, 'a key named prototype elsewhere is data');
  assert.equal(prototype.key!('constructor', undefined), false);
  assert.equal(prototype.key!('proto', undefined), false);
});

test('prototype: property paths reaching the prototype are flagged in strings', () => {
  checkValues(prototype, {
    flagged: ['__proto__.isAdmin', 'a.__proto__.b', '{"__proto__":{"x":1}}', 'a[__proto__][x]', 'constructor.prototype.admin', 'constructor[prototype][x]', "x['constructor']['prototype']"],
    passed: ['Use Array.prototype.map() instead of a for loop here.', 'the prototype is ready for review', 'avoid __proto__ in new code', 'constructor arguments'],
  });
});
