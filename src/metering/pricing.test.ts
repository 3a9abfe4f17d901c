import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createPricing, fromNanos, toNanos } from './pricing.ts';

const publicFaas = createPricing({ currency: 'USD', perMillionRequests: 0.2, perGbSecond: 0.0000166667, granularityMs: 1 });

test('cost = request price + GB-seconds of the memory limit × billed duration, in whole nano units rounded up', () => {
  // 0.20 per million = 200 nanos per request, exactly (no float noise added as a unit).
  assert.equal(publicFaas.cost(0, 128), 200);
  // 1 GB for 1 s = 1 GB-s = 0.0000166667 → 16666.7 nanos, plus 200, rounded up.
  assert.equal(publicFaas.cost(1000, 1024), 16_867);
  // 128 MB for 100 ms = 0.0125 GB-s → 208.33… nanos + 200 → 409.
  assert.equal(publicFaas.cost(100, 128), 409);
  assert.ok(publicFaas.cost(101, 128) >= publicFaas.cost(100, 128), 'monotonic in duration');
  assert.ok(publicFaas.cost(100, 256) > publicFaas.cost(100, 128), 'monotonic in memory');
});

test('billed duration rounds up to the granularity and never exceeds the rounded timeout', () => {
  const per100 = createPricing({ currency: 'USD', perMillionRequests: 0, perGbSecond: 1, granularityMs: 100 });
  assert.equal(per100.billedMs(0.3, 3000), 100);
  assert.equal(per100.billedMs(100, 3000), 100);
  assert.equal(per100.billedMs(100.01, 3000), 200);
  assert.equal(per100.billedMs(3150, 3000), 3000, 'a slow kill after the deadline is not billed');
  assert.equal(per100.billedMs(-5, 3000), 0);
  assert.equal(publicFaas.billedMs(12.2, 3000), 13);
});

test('the worst case is the cost of a whole timeout, and no measured invocation costs more', () => {
  const limits = { timeoutMs: 3000, memoryMb: 512 };
  const worst = publicFaas.worstCase(limits);
  assert.equal(worst, publicFaas.cost(3000, 512));
  for (const measured of [0, 1, 2999.5, 3000, 3000.4, 60_000]) {
    assert.ok(publicFaas.cost(publicFaas.billedMs(measured, limits.timeoutMs), limits.memoryMb) <= worst, `${measured} ms`);
  }
});

test('amounts convert to nanos and back exactly', () => {
  assert.equal(toNanos(5), 5_000_000_000);
  assert.equal(toNanos(0.5), 500_000_000);
  assert.equal(toNanos(0.1 + 0.2), 300_000_000);
  assert.equal(fromNanos(toNanos(1_000_000)), 1_000_000);
  assert.ok(Number.isSafeInteger(toNanos(1_000_000) * 9), 'the largest limit leaves room for sums');
});
