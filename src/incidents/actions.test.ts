import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shapedRandom } from './actions.ts';

test('a rotated value keeps the shape of the old one: prefix, alphabet, length, padding', () => {
  const cases: Array<[string, RegExp]> = [
    ['0123456789abcdef0123456789abcdef', /^[0-9a-f]{32}$/],
    ['0123456789ABCDEF0123456789ABCDEF01', /^[0-9A-F]{34}$/],
    ['sk_' + 'Ab1'.repeat(12), /^sk_[A-Za-z0-9]{36}$/],
    ['ghp_' + 'x-y_'.repeat(10), /^ghp_[A-Za-z0-9_-]{40}$/],
    ['c2VjcmV0LXZhbHVlLWZvci10ZXN0cw+/ab==', /^[A-Za-z0-9+/]{34}==$/],
    ['short', /^[A-Za-z0-9]{24}$/],
    ['pass word with spaces!', /^[A-Za-z0-9_-]{24}$/],
  ];
  for (const [old, shape] of cases) {
    const fresh = shapedRandom(old);
    assert.match(fresh, shape, old);
    assert.notEqual(fresh, old);
    assert.notEqual(shapedRandom(old), fresh, 'random each time');
  }
});
