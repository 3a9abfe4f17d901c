import { test } from 'node:test';
import assert from 'node:assert/strict';
import { windowAt } from './period.ts';
import { parsePeriod } from './budget.ts';

const at = (iso: string) => Date.parse(iso);
const iso = (w: { start: number; end: number }) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()];

test('month is the UTC calendar month, whatever its length', () => {
  assert.deepEqual(iso(windowAt('month', at('2030-02-14T10:00:00Z'))), ['2030-02-01T00:00:00.000Z', '2030-03-01T00:00:00.000Z']);
  assert.deepEqual(iso(windowAt('month', at('2030-12-31T23:59:59.999Z'))), ['2030-12-01T00:00:00.000Z', '2031-01-01T00:00:00.000Z']);
});

test('fixed lengths are aligned to the epoch: hours and days are UTC hours and days', () => {
  assert.deepEqual(iso(windowAt(parsePeriod('hour'), at('2030-02-14T10:59:59Z'))), ['2030-02-14T10:00:00.000Z', '2030-02-14T11:00:00.000Z']);
  assert.deepEqual(iso(windowAt(parsePeriod('day'), at('2030-02-14T10:00:00Z'))), ['2030-02-14T00:00:00.000Z', '2030-02-15T00:00:00.000Z']);
  assert.deepEqual(iso(windowAt(parsePeriod('10s'), at('2030-02-14T10:00:07Z'))), ['2030-02-14T10:00:00.000Z', '2030-02-14T10:00:10.000Z']);
  const w = windowAt(parsePeriod('10s'), at('2030-02-14T10:00:10Z'));
  assert.equal(w.start, at('2030-02-14T10:00:10Z'), 'the end is exclusive: its instant starts the next period');
});
