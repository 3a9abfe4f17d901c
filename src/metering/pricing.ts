// The price model: what one invocation costs, like public FaaS pricing — a price per request plus a
// price per GB-second of the manifest's memory limit × the billed duration.
//
// Money is counted in integer nano units (1e-9 of the currency), never in floating point: spend is a
// sum of millions of small costs and is compared against limits, and float sums drift (0.1 + 0.2).
// Each invocation's cost is rounded UP to a whole nano unit, so metered spend is never below the true
// cost (it may exceed it by less than 1e-9 per invocation). Integers stay exact up to 2^53 nanos,
// about 9 million currency units, which bounds every limit (MAX_BUDGET_AMOUNT).

import type { PricingConfig } from '../config.ts';

export const NANOS_PER_UNIT = 1e9;

export function toNanos(amount: number): number {
  return Math.round(amount * NANOS_PER_UNIT);
}

export function fromNanos(nanos: number): number {
  return nanos / NANOS_PER_UNIT;
}

export interface Pricing {
  readonly currency: string;
  /** Billed duration: measured ms rounded up to the granularity, never beyond the (rounded) timeout. */
  billedMs(measuredMs: number, timeoutMs: number): number;
  /** Cost in nanos of one invocation billed for `billedMs` with a `memoryMb` limit. */
  cost(billedMs: number, memoryMb: number): number;
  /** The most one invocation can cost: billed for its whole timeout. Reserved at admission. */
  worstCase(limits: { timeoutMs: number; memoryMb: number }): number;
}

export function createPricing(config: PricingConfig): Pricing {
  const granularity = config.granularityMs;
  const requestNanos = (config.perMillionRequests / 1e6) * NANOS_PER_UNIT;
  // GB-seconds per MB-millisecond: 1/1024 GB × 1/1000 s.
  const perMbMsNanos = (config.perGbSecond / 1024 / 1000) * NANOS_PER_UNIT;
  const roundUp = (ms: number) => Math.ceil(ms / granularity) * granularity;
  // Rounded to 1e-6 nano before the ceiling, so float noise (200.00000000000003) does not add a unit.
  const cost = (billedMs: number, memoryMb: number) => Math.ceil(Number((requestNanos + billedMs * memoryMb * perMbMsNanos).toFixed(6)));
  return {
    currency: config.currency,
    // Capped at the timeout so a slow kill or IPC latency after the deadline is never billed beyond the
    // worst case reserved for the invocation: settlement can never exceed the reservation.
    billedMs: (measuredMs, timeoutMs) => Math.min(roundUp(Math.max(0, measuredMs)), roundUp(timeoutMs)),
    cost,
    worstCase: (limits) => cost(roundUp(limits.timeoutMs), limits.memoryMb),
  };
}
