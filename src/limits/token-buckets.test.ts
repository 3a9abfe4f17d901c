import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseRate } from './rate.ts';
import { createTokenBuckets } from './token-buckets.ts';

test('parseRate: n per second, minute or hour; anything else is not a rate', () => {
  assert.deepEqual(parseRate('600/min'), { count: 600, perMs: 60_000 });
  assert.deepEqual(parseRate('20/s'), { count: 20, perMs: 1000 });
  assert.deepEqual(parseRate('5000/h'), { count: 5000, perMs: 3_600_000 });
  for (const bad of ['0/s', '10/day', '10 /s', '1.5/s', '/s', '10']) assert.equal(parseRate(bad), undefined, bad);
});

test('a bucket takes its burst back to back, then refuses with the wait until the next token', () => {
  let t = 0;
  const buckets = createTokenBuckets({ maxBuckets: 10, now: () => t });
  const spec = { rate: parseRate('10/s')!, burst: 3 };
  assert.deepEqual([buckets.take('a', spec), buckets.take('a', spec), buckets.take('a', spec)], [0, 0, 0]);
  assert.equal(buckets.take('a', spec), 100, 'one token every 100 ms');
  assert.equal(buckets.take('b', spec), 0, 'buckets are per key');
  t = 50;
  assert.equal(buckets.take('a', spec), 50, 'half a token refilled: 50 ms to go');
  t = 100;
  assert.equal(buckets.take('a', spec), 0);
  assert.equal(buckets.take('a', spec), 100);
  t = 10_000;
  assert.deepEqual([0, 1, 2, 3].map(() => buckets.take('a', spec)), [0, 0, 0, 100], 'refills to the burst, never beyond');
});

test('memory is bounded: beyond maxBuckets the least recently used bucket is forgotten', () => {
  let t = 0;
  const buckets = createTokenBuckets({ maxBuckets: 3, now: () => t });
  const spec = { rate: parseRate('1/h')!, burst: 1 };
  for (const k of ['a', 'b', 'c']) assert.equal(buckets.take(k, spec), 0);
  assert.ok(buckets.take('a', spec) > 0, 'a is empty and now the most recently used');
  for (let i = 0; i < 1000; i++) buckets.take(`attacker-${i}`, spec);
  assert.equal(buckets.size, 3, 'a thousand new keys do not grow the map');
  t = 1;
  assert.equal(buckets.take('b', spec), 0, 'b was forgotten: a forgotten bucket is a full one');
});
