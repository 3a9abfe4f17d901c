// The spend ledger: meters every invocation and keeps the budget counters the budget guard
// (src/guards/budget/) admits against. The counters are authoritative in memory — admission costs a few
// map lookups, no store round trip — and reach the store two ways:
//
//   claim  before admitting spend beyond what the store already covers, a limited function or global
//          scope durably raises its claim (an upper bound of its spend) by a chunk. Rare: once per
//          `budgets.claimChunk` of the limit.
//   save   settled spend, tiers, alerts and caller history, written behind every `flushIntervalMs`.
//
// At start the ledger restores each current period at max(saved spend, claim). A crash therefore never
// forgets spend of a claimed scope: it can only over-count, by at most one chunk plus the worst cases
// in flight. Per-caller scopes are not claimed (that would cost a synchronous commit per new caller, a
// lever for anyone with many addresses); a crash can forget up to one flush interval of a caller's
// spend, while the function and global caps above it still hold.
//
// Spend can never exceed a limit, however many invocations run at once: admission reserves the worst
// case (timeout × memory + request price) in every scope, checked against the ceiling, in one
// synchronous step; settlement replaces the reservation with the measured cost, which the price model
// caps at the worst case.
//
// Memory and store stay bounded whoever calls: anyone with many addresses is many anonymous callers.
// Per-caller spend is kept only where a per-caller limit needs it, caller history only for scopes with a
// limit (only their throttle tier reads it), and each at most `budgets.maxTracked` entries:
//   history      the least recently served caller is evicted. It loses its good standing, and cannot
//                regain it in a period already throttled (its first success would then be later).
//   per-caller   when full, the entries that used least of their limit are evicted, an eighth at a time,
//                and the most any of them had spent becomes its scope's caller floor: a caller with no
//                entry starts there. An evicted caller thus never gets its share twice. The floor stays
//                small: it reaches a share of its limit only when the 7/8 × maxTracked entries kept have
//                all used more of theirs, so it grows by an amount only after that many callers have
//                each spent it — for one budget whose callers fill the cap, at most its spend /
//                (7/8 × maxTracked).
// Evictions are deleted from the store with the floors written in the same transaction.

import type { BudgetsConfig } from '../config.ts';
import type { Budget, BudgetPeriod } from '../manifest/types.ts';
import type { GuardRequest } from '../guards/types.ts';
import type { SecurityEvent } from '../bus/bus.ts';
import type { BudgetTier, CallerHistory, SpendEvictions, SpendKey, SpendRecord, SpendScope, SpendStore, StoredSpend } from '../store/store.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';
import { alertsDue, ceilingFor, inGoodStanding, tierOf } from './brakes.ts';
import { fromNanos, toNanos, type Pricing } from './pricing.ts';
import { windowAt, type Window } from './period.ts';
import { leastRecentlyUsed } from '../limits/lru-order.ts';

/** Rows of periods that ended longer ago than this are deleted from the store. */
const PAST_PERIOD_RETENTION_MS = 7 * 86_400_000;
const PRUNE_EVERY_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface LedgerDeps {
  pricing: Pricing;
  budgets: BudgetsConfig;
  store: SpendStore;
  /** Publishes budget.alert / budget.tier-changed; must not throw (publishSecurityEvent does not). */
  publish: (event: Omit<SecurityEvent, 'at'>) => Promise<void>;
  logger: Logger;
  /** Epoch ms; Date.now unless a test needs to move through periods. */
  clock?: () => number;
}

export type Admission =
  | { admitted: true; release: () => void }
  | { admitted: false; scope: SpendScope; reason: 'exhausted' | 'throttled'; retryAfterSec: number };

export interface ScopeView {
  scope: SpendScope;
  key: string;
  /** The function, for function and caller scopes. */
  function?: string;
  /** The caller, for caller scopes. */
  caller?: string;
  periodStart: string;
  periodEnd: string;
  /** Settled spend, in currency units. */
  spend: number;
  /** Worst cases held by invocations in flight. */
  reserved: number;
  limit: number | null;
  /** spend / limit × 100, null without a limit. */
  percent: number | null;
  tier: BudgetTier;
  invocations: number;
  /** Spend at the period end if it continues at this period's average rate so far. */
  forecast: number;
  /** When that rate reaches the limit, if before the period ends. */
  forecastExhaustedAt: string | null;
  /** Caller scopes: whether the throttle tier would still serve this caller. */
  goodStanding?: boolean;
}

export interface SpendLedger {
  /** Loads the current periods' counters and caller history, then writes every flush interval. */
  start(): Promise<void>;
  /** Reserves the worst case of `req` in every scope, or says which scope refuses and why. */
  admit(req: GuardRequest): Promise<Admission>;
  /**
   * Runs one dispatch, measures it and settles its cost (against the reservation admit made for the
   * same request, if any). Every invocation goes through here, whatever its trigger.
   */
  measure<T extends { statusCode: number }>(req: GuardRequest, dispatch: () => Promise<T>): Promise<T>;
  /** The current period of one function, or of the global scope (fn undefined). */
  view(fn: { name: string; budget: Budget | undefined } | undefined): ScopeView;
  /**
   * The `top` biggest spenders of the current period among the callers of one function, or across all
   * functions (fn undefined), by spend. Callers are metered one by one only under a per-caller limit.
   */
  callers(fn: { name: string; budget: Budget | undefined } | undefined, top: number): ScopeView[];
  readonly currency: string;
  /** Writes what is pending now. */
  flush(): Promise<void>;
  /** Final flush and release of unused claims; call when no invocation is in flight any more. */
  close(): Promise<void>;
}

interface ScopeState {
  readonly scope: SpendScope;
  readonly key: string;
  readonly start: number;
  readonly end: number;
  /** Nanos; undefined: metered, not capped. Refreshed from the manifest/config at every use. */
  limit: number | undefined;
  throttleAt: number;
  reserve: number;
  committed: number;
  reserved: number;
  invocations: number;
  inFlight: number;
  /** Durably claimed upper bound (claimed scopes only). */
  claimed: number;
  tier: BudgetTier;
  /** The limit `tier` was computed under: only a new limit can lower a tier within a period. */
  tierLimit: number | undefined;
  alerted: number;
  throttledAt: number | null;
  /** Per-caller scopes: the function or global state of the same period, whose floor covers evictions. */
  readonly parent: ScopeState | undefined;
  /** Function and global scopes: what a per-caller entry under it starts from (see the top of this file). */
  callerFloor: number;
}

interface Reservation {
  scopes: ScopeState[];
  worst: number;
  caller: string;
  admittedAt: number;
}

interface History {
  scopeKey: string;
  caller: string;
  firstServedAt: number;
  lastServedAt: number;
}

const TIER_RANK: Record<BudgetTier, number> = { open: 0, throttle: 1, exhausted: 2 };
const claims = (s: ScopeState) => s.limit !== undefined && (s.scope === 'function' || s.scope === 'global');
const throttles = (s: ScopeState) => s.scope === 'function' || s.scope === 'global';
const historyScopeKey = (s: ScopeState) => (s.scope === 'global' ? '*' : s.key);

/**
 * Who pays, for per-caller budgets and history: the authenticated actor, else the client address (every
 * anonymous caller of a public route shares the actor "anonymous", which would let one of them spend
 * everyone's share and inherit everyone's history).
 */
export function callerOf(req: Pick<GuardRequest, 'principal' | 'sourceIp'>): string {
  const p = req.principal;
  if (p && p.kind !== 'anonymous') return p.actor;
  return req.sourceIp ? `ip:${req.sourceIp}` : 'anonymous';
}

export function createSpendLedger(deps: LedgerDeps): SpendLedger {
  const { pricing, budgets, store, logger } = deps;
  const clock = deps.clock ?? Date.now;
  const states = new Map<string, ScopeState>();
  const history = new Map<string, History>();
  const dirtyStates = new Set<ScopeState>();
  const dirtyHistory = new Set<History>();
  /** Evicted since the last flush, to delete from the store; by state and history id. */
  const evictedSpend = new Map<string, SpendKey>();
  const evictedHistory = new Map<string, SpendEvictions['callers'][number]>();
  const leastRecentlyServed = leastRecentlyUsed(history);
  let perCallerEntries = 0;
  const reservations = new WeakMap<GuardRequest, Reservation>();
  let timer: NodeJS.Timeout | undefined;
  let lastPrune = 0;
  let claiming: Promise<void> | undefined;
  let closed = false;

  const idOf = (scope: SpendScope, key: string, start: number, end: number) => `${scope}|${start}|${end}|${key}`;

  function stateIn(scope: SpendScope, key: string, w: Window): ScopeState {
    const id = idOf(scope, key, w.start, w.end);
    let s = states.get(id);
    if (!s) {
      const parent = scope === 'caller' ? stateIn('function', key.slice(0, key.indexOf('/')), w) : scope === 'global-caller' ? stateIn('global', '*', w) : undefined;
      s = {
        scope, key, start: w.start, end: w.end, limit: undefined, throttleAt: 1, reserve: 0,
        committed: parent?.callerFloor ?? 0, reserved: 0, invocations: 0, inFlight: 0, claimed: 0, tier: 'open', tierLimit: undefined,
        alerted: 0, throttledAt: null, parent, callerFloor: 0,
      };
      states.set(id, s);
      if (parent) perCallerEntries++;
    }
    return s;
  }

  function forgetState(id: string, s: ScopeState): void {
    states.delete(id);
    dirtyStates.delete(s);
    if (s.parent) perCallerEntries--;
  }

  /**
   * Makes room for `adding` new per-caller entries: when they would not fit, evicts down to 7/8 of the
   * cap (so the scan runs once per eighth of it): ended periods first, then those that used least of their
   * limit, counting what they started from (so the floor rises only once the callers it covers are gone,
   * never by one newcomer's spend at a time), the oldest first among equals. Entries in flight are never
   * evicted: their reservation must settle where it was made.
   */
  function makeRoomForCallers(adding: number, now: number): void {
    if (perCallerEntries + adding <= budgets.maxTracked) return;
    const ids: string[] = [];
    const ranks: number[] = [];
    for (const [id, s] of states) {
      if (!s.parent || s.inFlight > 0) continue;
      ids.push(id);
      // A restored entry's limit is unknown until its caller returns: kept after those whose use is known.
      ranks.push(s.end <= now ? -1 : s.limit === undefined ? Infinity : s.committed / s.limit);
    }
    const excess = Math.min(ids.length, perCallerEntries + adding - (budgets.maxTracked - Math.ceil(budgets.maxTracked / 8)));
    if (excess <= 0) return;
    // The rank of the last one to go; below it all go, at it the oldest (the map is in creation order).
    const threshold = Float64Array.from(ranks).sort()[excess - 1]!;
    let atThreshold = excess - ranks.filter((r) => r < threshold).length;
    for (let i = 0; i < ids.length; i++) {
      if (ranks[i]! > threshold || (ranks[i] === threshold && atThreshold-- <= 0)) continue;
      const s = states.get(ids[i]!)!;
      forgetState(ids[i]!, s);
      const parent = s.parent!;
      if (s.committed > parent.callerFloor) {
        parent.callerFloor = s.committed;
        dirtyStates.add(parent);
      }
      evictedSpend.set(ids[i]!, { scope: s.scope, key: s.key, periodStart: s.start, periodEnd: s.end });
    }
  }

  function stateFor(scope: SpendScope, key: string, period: BudgetPeriod, now: number): ScopeState {
    return stateIn(scope, key, windowAt(period, now));
  }

  /** The state of a stored row, as it was when the previous process stopped or crashed. */
  function restore(row: StoredSpend): void {
    const s = stateIn(row.scope, row.key, { start: row.periodStart, end: row.periodEnd });
    // After a crash the claim is the bound on what was spent: count all of it (over, never under).
    s.committed = Math.max(row.spendNanos, row.claimedNanos);
    s.claimed = s.committed;
    s.invocations = row.invocations;
    s.tier = row.tier;
    s.alerted = row.alerted;
    s.throttledAt = row.throttledAt;
    s.callerFloor = row.callerFloorNanos;
    if (s.committed > row.spendNanos) dirtyStates.add(s);
  }

  function limited(s: ScopeState, limit: number | undefined, budget: Budget | null | undefined): ScopeState {
    s.limit = limit === undefined ? undefined : toNanos(limit);
    s.throttleAt = budget?.throttleAt ?? 1;
    s.reserve = budget?.reserve ?? 0;
    return s;
  }

  /** The scopes an invocation of `fn` by `caller` is charged to, most specific first. */
  function scopesOf(fn: FunctionTarget, caller: string, now: number): ScopeState[] {
    const b = fn.manifest.budget;
    const fnPeriod = b?.period ?? budgets.defaultPeriod;
    const g = budgets.global;
    const globalPeriod = g?.period ?? budgets.defaultPeriod;
    const fnWindow = windowAt(fnPeriod, now);
    const globalWindow = windowAt(globalPeriod, now);
    const callerKey = `${fn.name}/${caller}`;
    // Per-caller scopes are tracked only when capped: otherwise one more entry per caller for nothing.
    // Room is made before any of this invocation's states is looked up, so none of them can be evicted.
    const fresh = (scope: SpendScope, key: string, w: Window) => (states.has(idOf(scope, key, w.start, w.end)) ? 0 : 1);
    makeRoomForCallers(
      (b?.perCaller === undefined ? 0 : fresh('caller', callerKey, fnWindow)) + (g?.perCaller === undefined ? 0 : fresh('global-caller', caller, globalWindow)),
      now,
    );
    const list: ScopeState[] = [];
    if (b?.perCaller !== undefined) list.push(limited(stateIn('caller', callerKey, fnWindow), b.perCaller, undefined));
    list.push(limited(stateIn('function', fn.name, fnWindow), b?.limit, b));
    if (g?.perCaller !== undefined) list.push(limited(stateIn('global-caller', caller, globalWindow), g.perCaller, undefined));
    list.push(limited(stateIn('global', '*', globalWindow), g?.limit, g));
    return list;
  }

  function goodStanding(s: ScopeState, caller: string): boolean {
    return inGoodStanding(history.get(`${historyScopeKey(s)}\n${caller}`)?.firstServedAt, s.throttledAt);
  }

  function numbers(s: ScopeState) {
    return { committed: s.committed, reserved: s.reserved, limit: s.limit!, throttleAt: s.throttleAt, reserve: s.reserve, throttles: throttles(s) };
  }

  // Announcements not yet recorded. The request that caused one waits for it before it is answered
  // (measure, and admit when it refuses), so an answered request never outruns its audit record.
  const announcing = new Set<Promise<void>>();
  async function announced(): Promise<void> {
    if (announcing.size > 0) await Promise.allSettled(announcing);
  }

  function announce(s: ScopeState, event: Omit<SecurityEvent, 'at' | 'detail'>, detail: Record<string, unknown>): void {
    const published = deps.publish({
      ...event,
      ...(s.scope === 'function' || s.scope === 'caller' ? { function: s.key.split('/')[0] } : {}),
      detail: {
        scope: s.scope, key: s.key, ...detail, spend: fromNanos(s.committed), limit: fromNanos(s.limit!),
        currency: pricing.currency, periodEnd: new Date(s.end).toISOString(),
      },
    });
    announcing.add(published);
    published.then(() => announcing.delete(published), () => announcing.delete(published));
  }

  function updateTier(s: ScopeState, worst: number, now: number, requestId: string): void {
    const next = tierOf(numbers(s), worst);
    if (next === s.tier) return;
    s.tierLimit ??= s.limit;
    // Spend only grows within a period, so a lower tier can only come from a raised limit; a cheaper
    // function's smaller worst case must not flip the global scope back and forth.
    if (TIER_RANK[next] < TIER_RANK[s.tier] && s.limit === s.tierLimit) return;
    const from = s.tier;
    s.tier = next;
    s.tierLimit = s.limit;
    if (next !== 'open' && s.throttledAt === null) s.throttledAt = now;
    dirtyStates.add(s);
    if (throttles(s)) announce(s, { type: 'budget.tier-changed', requestId }, { from, to: next });
  }

  async function extendClaims(short: ScopeState[], worst: number): Promise<void> {
    const targets = short.map((s) => {
      const chunk = Math.max(Math.round(budgets.claimChunk * s.limit!), worst);
      return { s, claimedNanos: Math.min(s.limit!, s.committed + s.reserved + worst + chunk) };
    });
    await store.claim(targets.map(({ s, claimedNanos }) => ({ scope: s.scope, key: s.key, periodStart: s.start, periodEnd: s.end, claimedNanos })));
    for (const { s, claimedNanos } of targets) s.claimed = Math.max(s.claimed, claimedNanos);
  }

  function refusal(s: ScopeState, worst: number, ceiling: number, fn: FunctionTarget, now: number, requestId: string): Admission {
    updateTier(s, worst, now, requestId);
    const toPeriodEnd = Math.ceil((s.end - now) / 1000);
    // Only worst cases reserved by invocations in flight stand in the way: they settle within a timeout.
    const heldInFlight = s.committed + worst <= ceiling;
    const retryAfterSec = Math.max(1, heldInFlight ? Math.min(toPeriodEnd, Math.ceil(fn.manifest.limits.timeoutMs / 1000)) : toPeriodEnd);
    return { admitted: false, scope: s.scope, reason: s.committed + s.reserved + worst > s.limit! ? 'exhausted' : 'throttled', retryAfterSec };
  }

  function release(req: GuardRequest): void {
    const r = reservations.get(req);
    if (!r) return;
    reservations.delete(req);
    for (const s of r.scopes) {
      s.reserved -= r.worst;
      s.inFlight--;
    }
  }

  function served(scopeKey: string, caller: string, admittedAt: number, now: number): void {
    const id = `${scopeKey}\n${caller}`;
    let h = history.get(id);
    if (!h) {
      h = { scopeKey, caller, firstServedAt: admittedAt, lastServedAt: now };
    } else {
      h.firstServedAt = Math.min(h.firstServedAt, admittedAt);
      h.lastServedAt = Math.max(h.lastServedAt, now);
      history.delete(id);
    }
    // The map's order is the eviction order: least recently served first.
    history.set(id, h);
    dirtyHistory.add(h);
    if (history.size > budgets.maxTracked) evictHistory();
  }

  function evictHistory(): void {
    // Only called with entries in the map.
    const id = leastRecentlyServed()!;
    const h = history.get(id)!;
    history.delete(id);
    dirtyHistory.delete(h);
    evictedHistory.set(id, { scopeKey: h.scopeKey, caller: h.caller });
  }

  function settle(req: GuardRequest, measuredMs: number, ok: boolean): void {
    if (closed) return;
    const now = clock();
    const { limits } = req.fn.manifest;
    const cost = pricing.cost(pricing.billedMs(measuredMs, limits.timeoutMs), limits.memoryMb);
    const worst = pricing.worstCase(limits);
    const r = reservations.get(req);
    // No reservation: the chain did not run (bench-only) — still metered, never free.
    const caller = r?.caller ?? callerOf(req);
    const scopes = r?.scopes ?? scopesOf(req.fn, caller, now);
    if (r) reservations.delete(req);
    for (const s of scopes) {
      if (r) {
        s.reserved -= r.worst;
        s.inFlight--;
      }
      s.committed += cost;
      s.invocations++;
      dirtyStates.add(s);
      if (s.limit === undefined) continue;
      if (throttles(s)) {
        for (const percent of alertsDue(s.committed, s.limit, s.alerted)) {
          s.alerted = percent;
          announce(s, { type: 'budget.alert', requestId: req.requestId }, { percent });
        }
      }
      updateTier(s, worst, now, req.requestId);
    }
    if (ok) {
      // History only where a throttle tier can read it: a function or global scope with a limit.
      for (const s of scopes) if (throttles(s) && s.limit !== undefined) served(historyScopeKey(s), caller, r?.admittedAt ?? now, now);
    }
  }

  async function flush(): Promise<void> {
    const now = clock();
    const spend: SpendRecord[] = [];
    for (const s of dirtyStates) {
      spend.push({
        scope: s.scope, key: s.key, periodStart: s.start, periodEnd: s.end, spendNanos: s.committed,
        invocations: s.invocations, tier: s.tier, alerted: s.alerted, throttledAt: s.throttledAt, callerFloorNanos: s.callerFloor,
      });
    }
    const callers: CallerHistory[] = [...dirtyHistory].map((h) => ({ ...h }));
    const flushedStates = [...dirtyStates];
    const flushedHistory = [...dirtyHistory];
    const flushedEvictions = { spend: [...evictedSpend], callers: [...evictedHistory] };
    dirtyStates.clear();
    dirtyHistory.clear();
    evictedSpend.clear();
    evictedHistory.clear();
    try {
      if (spend.length + callers.length + flushedEvictions.spend.length + flushedEvictions.callers.length > 0) {
        await store.save(spend, callers, { spend: flushedEvictions.spend.map(([, k]) => k), callers: flushedEvictions.callers.map(([, k]) => k) });
      }
      if (now - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = now;
        await store.prune(now - PAST_PERIOD_RETENTION_MS, now - budgets.historyDays * DAY_MS);
      }
    } catch (err) {
      // Kept for the next flush (but not what was evicted meanwhile). Claimed scopes stay safe meanwhile:
      // their claims are already durable.
      for (const s of flushedStates) if (states.get(idOf(s.scope, s.key, s.start, s.end)) === s) dirtyStates.add(s);
      for (const h of flushedHistory) if (history.get(`${h.scopeKey}\n${h.caller}`) === h) dirtyHistory.add(h);
      for (const [id, k] of flushedEvictions.spend) evictedSpend.set(id, k);
      for (const [id, k] of flushedEvictions.callers) evictedHistory.set(id, k);
      logger.error({ err }, 'spend ledger: flush to the store failed; retrying at the next interval');
      return;
    }
    for (const [id, s] of states) {
      if (s.end <= now && s.inFlight === 0 && !dirtyStates.has(s)) forgetState(id, s);
    }
    const forgetBefore = now - budgets.historyDays * DAY_MS;
    for (const [id, h] of history) if (h.lastServedAt < forgetBefore && !dirtyHistory.has(h)) history.delete(id);
  }

  function forecast(s: ScopeState, now: number): { forecast: number; exhaustedAt: string | null } {
    const elapsed = Math.max(now - s.start, 1000);
    const rate = s.committed / elapsed;
    const projected = s.committed + rate * Math.max(0, s.end - now);
    let exhaustedAt: string | null = null;
    if (s.limit !== undefined && rate > 0) {
      const at = s.committed >= s.limit ? now : now + (s.limit - s.committed) / rate;
      if (at < s.end) exhaustedAt = new Date(at).toISOString();
    }
    return { forecast: fromNanos(Math.round(projected)), exhaustedAt };
  }

  function viewOf(s: ScopeState, now: number, extra: Partial<ScopeView> = {}): ScopeView {
    const f = forecast(s, now);
    return {
      scope: s.scope,
      key: s.key,
      ...extra,
      periodStart: new Date(s.start).toISOString(),
      periodEnd: new Date(s.end).toISOString(),
      spend: fromNanos(s.committed),
      reserved: fromNanos(s.reserved),
      limit: s.limit === undefined ? null : fromNanos(s.limit),
      percent: s.limit === undefined ? null : Math.round((s.committed / s.limit) * 10_000) / 100,
      tier: s.tier,
      invocations: s.invocations,
      forecast: f.forecast,
      forecastExhaustedAt: f.exhaustedAt,
    };
  }

  return {
    currency: pricing.currency,

    async start() {
      const now = clock();
      for (const row of await store.current(now)) restore(row);
      // Within the cap even if it was lowered since: the surplus is evicted as it would have been.
      makeRoomForCallers(0, now);
      const served = (await store.callers(now - budgets.historyDays * DAY_MS)).sort((a, b) => a.lastServedAt - b.lastServedAt);
      for (const h of served) history.set(`${h.scopeKey}\n${h.caller}`, { ...h });
      while (history.size > budgets.maxTracked) evictHistory();
      timer = setInterval(() => void flush(), budgets.flushIntervalMs);
      timer.unref();
    },

    async admit(req) {
      for (;;) {
        const now = clock();
        const caller = callerOf(req);
        const worst = pricing.worstCase(req.fn.manifest.limits);
        const scopes = scopesOf(req.fn, caller, now);
        for (const s of scopes) {
          if (s.limit === undefined) continue;
          const ceiling = ceilingFor(numbers(s), throttles(s) && goodStanding(s, caller));
          if (s.committed + s.reserved + worst > ceiling) {
            const refused = refusal(s, worst, ceiling, req.fn, now, req.requestId);
            await announced();
            return refused;
          }
        }
        const short = scopes.filter((s) => claims(s) && s.committed + s.reserved + worst > s.claimed);
        if (short.length > 0) {
          // One claim write at a time: a burst of admissions waits for it instead of each writing its
          // own. Others may have been admitted meanwhile, so everything is checked again afterwards.
          claiming ??= extendClaims(short, worst).finally(() => {
            claiming = undefined;
          });
          await claiming;
          continue;
        }
        for (const s of scopes) {
          s.reserved += worst;
          s.inFlight++;
        }
        reservations.set(req, { scopes, worst, caller, admittedAt: now });
        return { admitted: true, release: () => release(req) };
      }
    },

    async measure(req, dispatch) {
      const started = performance.now();
      let ok = false;
      try {
        const result = await dispatch();
        ok = result.statusCode < 400;
        return result;
      } finally {
        settle(req, performance.now() - started, ok);
        await announced();
      }
    },

    view(fn) {
      const now = clock();
      if (!fn) {
        const g = budgets.global;
        return viewOf(limited(stateFor('global', '*', g?.period ?? budgets.defaultPeriod, now), g?.limit, g), now);
      }
      const b = fn.budget;
      return viewOf(limited(stateFor('function', fn.name, b?.period ?? budgets.defaultPeriod, now), b?.limit, b), now, { function: fn.name });
    },

    callers(fn, top) {
      const now = clock();
      const found: Array<{ s: ScopeState; extra: Partial<ScopeView> }> = [];
      if (fn) {
        const b = fn.budget;
        const w = windowAt(b?.period ?? budgets.defaultPeriod, now);
        const parent = limited(stateFor('function', fn.name, b?.period ?? budgets.defaultPeriod, now), b?.limit, b);
        const prefix = `${fn.name}/`;
        for (const s of states.values()) {
          if (s.scope !== 'caller' || s.start !== w.start || s.end !== w.end || !s.key.startsWith(prefix)) continue;
          const caller = s.key.slice(prefix.length);
          limited(s, b?.perCaller, undefined);
          found.push({ s, extra: { function: fn.name, caller, goodStanding: goodStanding(parent, caller) } });
        }
      } else {
        const g = budgets.global;
        const w = windowAt(g?.period ?? budgets.defaultPeriod, now);
        const parent = limited(stateFor('global', '*', g?.period ?? budgets.defaultPeriod, now), g?.limit, g);
        for (const s of states.values()) {
          if (s.scope !== 'global-caller' || s.start !== w.start || s.end !== w.end) continue;
          found.push({ s, extra: { caller: s.key, goodStanding: goodStanding(parent, s.key) } });
        }
      }
      found.sort((a, b) => b.s.committed - a.s.committed || a.s.key.localeCompare(b.s.key));
      return found.slice(0, top).map(({ s, extra }) => viewOf(s, now, extra));
    },

    flush,

    async close() {
      if (closed) return;
      clearInterval(timer);
      // Anything still in flight is counted at its worst case: it may yet run to its timeout.
      for (const s of states.values()) {
        if (s.reserved > 0) {
          s.committed += s.reserved;
          s.reserved = 0;
          dirtyStates.add(s);
        }
      }
      closed = true;
      await flush();
      if (dirtyStates.size === 0) await store.releaseClaims();
    },
  };
}
