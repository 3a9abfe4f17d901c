// A real spend ledger for unit tests: the real price model, a real SQLite store in a temp dir, and the
// events it publishes collected in order. The clock is a variable the test moves, so periods can pass
// without waiting for them.

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BudgetsConfig, PricingConfig } from '../config.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import type { Store } from '../store/store.ts';
import { openSqliteStore } from '../store/sqlite/index.ts';
import { createLogger } from '../telemetry/logger.ts';
import { createSpendLedger, type SpendLedger } from './ledger.ts';
import { createPricing } from './pricing.ts';

/** One currency unit per invocation, nothing for duration: every cost and worst case is exactly 1. */
export const UNIT_PER_REQUEST: PricingConfig = { currency: 'EUR', perMillionRequests: 1_000_000, perGbSecond: 0, granularityMs: 1 };

export interface TestLedger {
  ledger: SpendLedger;
  store: Store;
  events: Array<Omit<SecurityEvent, 'at'>>;
  /** The test's clock (epoch ms); assign to move time. */
  clock: { now: number };
  /** A second ledger on the same store, as a restarted gateway would open it (the first is left as it is). */
  reopen(): Promise<SpendLedger>;
}

export async function openTestLedger(
  t: { after: (fn: () => Promise<void>) => void },
  opts: { pricing?: PricingConfig; budgets?: Partial<BudgetsConfig>; now?: number } = {},
): Promise<TestLedger> {
  const dir = await mkdtemp(join(tmpdir(), 'bwk-ledger-'));
  const store = await openSqliteStore(join(dir, 'home'));
  const events: Array<Omit<SecurityEvent, 'at'>> = [];
  const clock = { now: opts.now ?? Date.UTC(2030, 0, 1, 12, 0, 0) };
  const budgets: BudgetsConfig = { global: null, defaultPeriod: 'month', flushIntervalMs: 60_000, claimChunk: 0.05, historyDays: 90, maxTracked: 50_000, ...opts.budgets };
  const open = async () => {
    const ledger = createSpendLedger({
      pricing: createPricing(opts.pricing ?? UNIT_PER_REQUEST),
      budgets,
      store: store.spend,
      logger: createLogger({ level: 'silent' }),
      publish: async (e) => { events.push(e); },
      clock: () => clock.now,
    });
    await ledger.start();
    return ledger;
  };
  const ledger = await open();
  t.after(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });
  return { ledger, store, events, clock, reopen: open };
}
