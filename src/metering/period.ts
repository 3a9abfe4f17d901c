// Budget periods as time windows. A fixed length is aligned to the Unix epoch, so `1h` and `1d` are
// UTC clock hours and days and every gateway computes the same window without sharing state; `month`
// is the UTC calendar month.

import type { BudgetPeriod } from '../manifest/types.ts';

export interface Window {
  /** Epoch ms, inclusive. */
  start: number;
  /** Epoch ms, exclusive. */
  end: number;
}

export function windowAt(period: BudgetPeriod, now: number): Window {
  if (period === 'month') {
    const d = new Date(now);
    return { start: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1), end: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) };
  }
  const start = Math.floor(now / period) * period;
  return { start, end: start + period };
}
