import { test } from 'node:test';
import assert from 'node:assert/strict';
import { leastRecentlyUsed } from './lru-order.ts';

test('names the least recently used key while entries are touched, added and evicted', () => {
  const map = new Map<string, number>([['a', 1], ['b', 2], ['c', 3]]);
  const oldest = leastRecentlyUsed(map);
  map.delete('a');
  map.set('a', 1); // touched: now the most recent
  assert.equal(oldest(), 'b');
  map.delete('b');
  map.set('d', 4);
  assert.equal(oldest(), 'c');
  map.delete('c');
  assert.equal(oldest(), 'a');
  map.delete('a');
  assert.equal(oldest(), 'd');
  map.delete('d');
  assert.equal(oldest(), undefined, 'empty map');
  map.set('e', 5);
  assert.equal(oldest(), 'e', 'entries added after the iterator ran out are found');
});

test('evicting one entry per insertion keeps a large map in LRU order', () => {
  const map = new Map<number, true>();
  const oldest = leastRecentlyUsed(map);
  for (let i = 0; i < 1000; i++) map.set(i, true);
  for (let i = 1000; i < 5000; i++) {
    const evicted = oldest()!;
    assert.equal(evicted, i - 1000);
    map.delete(evicted);
    map.set(i, true);
  }
  assert.equal(map.size, 1000);
});
