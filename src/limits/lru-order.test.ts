import { test } from 'node:test';
import assert from 'node:assert/strict';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
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

test('an iterator that is not moving does not keep the tables the map leaves behind', async () => {
  // V8 rebuilds a Map's table as entries are deleted and set; a live iterator keeps every table since
  // the one it stands on. Here nothing is evicted after the first call, as in a token bucket map that
  // sees one client: the old helper kept ~145 bytes per touch this way.
  v8.setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const map = new Map<string, number>([['client', 0]]);
  const oldest = leastRecentlyUsed(map);
  assert.equal(oldest(), 'client');
  const settle = async (): Promise<number> => {
    await new Promise((resolve) => setImmediate(resolve)); // a new task: the iterator is no longer held for this one
    gc();
    return process.memoryUsage().heapUsed;
  };
  const before = await settle();
  for (let i = 0; i < 200_000; i++) {
    map.delete('client');
    map.set('client', i);
  }
  const grown = (await settle()) - before;
  assert.ok(grown < 5 * 1024 * 1024, `the heap kept ${(grown / 1048576).toFixed(1)} MB after 200,000 touches of one entry`);
  assert.equal(oldest(), 'client', 'still names the entry afterwards');
});
