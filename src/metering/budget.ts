// How a budget is written (the manifest's `budget` key and the config's `budgets.global`) and what it
// becomes. One definition for both places, so a period or percentage means the same wherever it is
// written. Shapes are checked by JSON Schema (BUDGET_SCHEMA); ranges and cross-field rules by
// normaliseBudget, which reports each problem against the field it concerns.

import type { Budget, BudgetPeriod } from '../manifest/types.ts';

/** `month` (UTC calendar month), `hour`, `day`, or a fixed length like 10s, 5m, 2h, 7d. */
export const PERIOD_PATTERN = '^(hour|day|month|[0-9]+(s|m|h|d))$';
const PERCENT_PATTERN = '^[0-9]{1,3}%$';

/** Amounts are kept in nano units internally (src/metering/pricing.ts); this keeps them exact integers. */
export const MAX_BUDGET_AMOUNT = 1_000_000;
const MIN_PERIOD_MS = 1000;
const MAX_PERIOD_MS = 366 * 86_400_000;

export const BUDGET_DEFAULTS = { throttleAt: 0.9, reserve: 0.5 } as const;

/** JSON Schema of a budget as an author writes it. */
export const BUDGET_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['limit', 'period'],
  properties: {
    limit: { type: 'number', exclusiveMinimum: 0 },
    period: { type: 'string', pattern: PERIOD_PATTERN },
    perCaller: { type: 'number', exclusiveMinimum: 0 },
    throttleAt: { type: 'string', pattern: PERCENT_PATTERN },
    reserve: { type: 'string', pattern: PERCENT_PATTERN },
  },
} as const;

export interface AuthorBudget {
  limit: number;
  period: string;
  perCaller?: number;
  throttleAt?: string;
  reserve?: string;
}

/** A PERIOD_PATTERN string → 'month' or a length in ms. */
export function parsePeriod(text: string): BudgetPeriod {
  if (text === 'month') return 'month';
  if (text === 'hour') return 3_600_000;
  if (text === 'day') return 86_400_000;
  const [, n, unit] = /^([0-9]+)(s|m|h|d)$/.exec(text)!;
  return Number(n) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 's' | 'm' | 'h' | 'd'];
}

/** The inverse of parsePeriod, for messages and listings. */
export function formatPeriod(period: BudgetPeriod): string {
  if (period === 'month') return 'month';
  for (const [unit, ms] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]] as const) {
    if (period % ms === 0) return `${period / ms}${unit}`;
  }
  return `${period}ms`;
}

/**
 * Checks the ranges of a shape-valid author budget and normalises it. `report(field, message)` is called
 * for each problem; the result is undefined when there was one.
 */
export function normaliseBudget(b: AuthorBudget, report: (field: keyof AuthorBudget, message: string) => void): Budget | undefined {
  let ok = true;
  const problem = (field: keyof AuthorBudget, message: string) => {
    ok = false;
    report(field, message);
  };
  if (b.limit > MAX_BUDGET_AMOUNT) problem('limit', `limit ${b.limit} is too large: use at most ${MAX_BUDGET_AMOUNT}`);
  const period = parsePeriod(b.period);
  if (period !== 'month' && (period < MIN_PERIOD_MS || period > MAX_PERIOD_MS)) {
    problem('period', `period ${b.period} is out of range: use 1s to 366d, or month`);
  }
  if (b.perCaller !== undefined && b.perCaller > b.limit) {
    problem('perCaller', `perCaller ${b.perCaller} is more than the limit ${b.limit}: a caller's share must fit in the budget`);
  }
  const throttleAt = b.throttleAt === undefined ? BUDGET_DEFAULTS.throttleAt : Number(b.throttleAt.slice(0, -1)) / 100;
  if (throttleAt < 0.01 || throttleAt > 0.99) problem('throttleAt', `throttleAt ${b.throttleAt} is out of range: use 1% to 99%`);
  const reserve = b.reserve === undefined ? BUDGET_DEFAULTS.reserve : Number(b.reserve.slice(0, -1)) / 100;
  if (reserve > 1) problem('reserve', `reserve ${b.reserve} is out of range: use 0% to 100%`);
  if (!ok) return undefined;
  return { limit: b.limit, period, ...(b.perCaller === undefined ? {} : { perCaller: b.perCaller }), throttleAt, reserve };
}
