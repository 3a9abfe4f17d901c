import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatPeriod, normaliseBudget, parsePeriod } from './budget.ts';

test('period spellings', () => {
  assert.deepEqual(['month', 'hour', 'day', '10s', '30m', '12h', '7d'].map(parsePeriod), ['month', 3_600_000, 86_400_000, 10_000, 1_800_000, 43_200_000, 604_800_000]);
  assert.deepEqual(['month', 3_600_000, 10_000, 90_000, 1500].map((p) => formatPeriod(p as never)), ['month', '1h', '10s', '90s', '1500ms']);
});

test('normaliseBudget: defaults, percentages as fractions, and every range problem reported against its field', () => {
  assert.deepEqual(normaliseBudget({ limit: 5, period: 'month', perCaller: 0.5 }, () => assert.fail('no problem expected')), {
    limit: 5, period: 'month', perCaller: 0.5, throttleAt: 0.9, reserve: 0.5,
  });
  assert.deepEqual(normaliseBudget({ limit: 5, period: '10s', throttleAt: '75%', reserve: '0%' }, () => assert.fail('no problem expected')), {
    limit: 5, period: 10_000, throttleAt: 0.75, reserve: 0,
  });
  const problems: string[] = [];
  const result = normaliseBudget(
    { limit: 2_000_000, period: '0s', perCaller: 3_000_000, throttleAt: '100%', reserve: '101%' },
    (field, message) => problems.push(`${field}: ${message}`),
  );
  assert.equal(result, undefined);
  assert.deepEqual(problems, [
    'limit: limit 2000000 is too large: use at most 1000000',
    'period: period 0s is out of range: use 1s to 366d, or month',
    'perCaller: perCaller 3000000 is more than the limit 2000000: a caller\'s share must fit in the budget',
    'throttleAt: throttleAt 100% is out of range: use 1% to 99%',
    'reserve: reserve 101% is out of range: use 0% to 100%',
  ]);
});

test('config: pricing and budgets.global are read, normalised and checked with the key named', async (t) => {
  const { mkdtemp, rm, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { loadConfig } = await import('../config.ts');
  const { BulwarkError } = await import('../errors.ts');
  const home = await mkdtemp(join(tmpdir(), 'bwk-budget-config-'));
  t.after(() => rm(home, { recursive: true, force: true }));
  const defaults = loadConfig(home, {}, {});
  assert.deepEqual(defaults.pricing, { currency: 'USD', perMillionRequests: 0.2, perGbSecond: 0.0000166667, granularityMs: 1 });
  assert.equal(defaults.budgets.global, null);
  assert.equal(defaults.budgets.defaultPeriod, 'month');
  await writeFile(join(home, 'config.yaml'), [
    'pricing: { currency: EUR, perMillionRequests: 0.25, granularityMs: 100 }',
    'budgets:',
    '  global: { limit: 200, period: day, perCaller: 20, throttleAt: 80% }',
    '  defaultPeriod: 1h',
  ].join('\n'));
  const config = loadConfig(home, {}, {});
  assert.deepEqual(config.pricing, { currency: 'EUR', perMillionRequests: 0.25, perGbSecond: 0.0000166667, granularityMs: 100 });
  assert.deepEqual(config.budgets.global, { limit: 200, period: 86_400_000, perCaller: 20, throttleAt: 0.8, reserve: 0.5 });
  assert.equal(config.budgets.defaultPeriod, 3_600_000);
  for (const [yaml, fragment] of [
    ['budgets: { global: { limit: 10, period: 1h, perCaller: 20 } }', 'budgets.global.perCaller: perCaller 20 is more than the limit 10'],
    ['budgets: { global: { limit: 10, period: fortnight } }', 'budgets.global.period must match pattern'],
    ['pricing: { perGbSecond: -1 }', 'pricing.perGbSecond must be >= 0'],
  ] as const) {
    await writeFile(join(home, 'config.yaml'), yaml);
    assert.throws(() => loadConfig(home, {}, {}), (err: unknown) => {
      assert.ok(err instanceof BulwarkError && err.code === 'BWK_E_CONFIG_INVALID', String(err));
      assert.ok(err.message.includes(fragment), err.message);
      return true;
    });
  }
});
