// The guard chain: the ONLY place that declares the order guards run in. Cheap refusals come first
// so an attacker pays for as little work as possible before being turned away, and nothing that
// holds a resource (concurrency) runs until every check that could still refuse has passed.
//
//   ip-block         refuse blocked client addresses before anything else          403
//   rate-limit       token bucket per client address (no credential needed)        429
//   body-limit       manifest limits.bodyBytes                                     413
//   authn            API key / JWT / explicit public                               401
//   authz            role may invoke + scope covers function                       403
//   caller-rate-limit
//                    token buckets per authenticated caller and per function       429 (after authn and authz:
//                    only verified callers are charged, see docs/guards/rate-limit.md)
//   schema           manifest input JSON Schema                                    400
//   injection        attack patterns in every decoded input string (SQL, NoSQL,    400 (monitor mode: passes, the
//                    command, JS, traversal, SSRF, XXE, prototype, serialized, …)      findings are published)
//   budget           denial of wallet: the worst case must fit every budget        429 (holds a reservation until
//                    charged (see docs/guards/budget.md)                               the invocation is metered)
//   concurrency      per-version semaphore + bounded queue                         429 (holds a permit: must stay last)
//
// Every refusal leaves here as a Rejection naming the guard (and its rule); the gateway publishes it
// as a `guard.rejected` security event and the chain counts it, so no guard reports for itself.
// Routes that invoke no function (admin API, /healthz, unknown paths) pass admit(): the address check
// of ip-block alone, counted the same way.

import type { CallerThrottles } from '../limits/caller-throttles.ts';
import type { Authenticator } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { anonymous } from '../auth/principal.ts';
import type { Blocklist } from '../abuse/blocklist.ts';
import type { RateLimitConfig } from '../config.ts';
import type { SpendLedger } from '../metering/ledger.ts';
import { blockedRefusal } from './ip-block/index.ts';
import { guards, type GuardId } from './index.ts';
import type { AuthnDeps } from './authn/index.ts';
import type { Guard, GuardEvent, GuardRequest, Rejection } from './types.ts';

/**
 * Passing this (and only this) value as `benchOnlyDisableGuards` turns the whole chain off: no
 * authentication, no limits. It exists so the benchmark can measure the chain's cost. A symbol cannot
 * come from a config file, an environment variable or a JSON body, so it cannot be enabled by accident.
 */
export const BENCH_ONLY_DISABLE_ALL_GUARDS: unique symbol = Symbol('bulwark.bench-only.disable-all-guards');

export interface ChainDeps {
  authenticator: Authenticator;
  blocklist: Blocklist;
  rateLimit: RateLimitConfig;
  ledger: SpendLedger;
  /** Verifies the call tokens of function-to-function calls (authn); absent: every such call is refused. */
  callTokens?: AuthnDeps['callTokens'];
  /** Per-caller throttles set by incident playbooks (src/limits/caller-throttles.ts); absent: none. */
  throttles?: CallerThrottles;
}

export interface ChainOptions {
  benchOnlyDisableGuards?: typeof BENCH_ONLY_DISABLE_ALL_GUARDS;
}

/** `events`: what guards that passed asked to publish (monitor-mode findings), whatever the outcome. */
export type ChainResult =
  | { pass: true; principal: Principal; release: () => void; events: GuardEvent[] }
  | (Rejection & { events: GuardEvent[] });

export interface GuardChain {
  readonly disabled: boolean;
  /** Guard ids in the order they run. */
  readonly order: readonly string[];
  run(req: GuardRequest): Promise<ChainResult>;
  /** For a route that invokes no function: refuses a blocked client address (ip-block's check), else undefined. */
  admit(sourceIp: string): Rejection | undefined;
  /** Rejections since start, keyed "<guard>/<rule>" (rule "-" when the guard gave none). */
  rejections(): Record<string, number>;
}

const noop = (): void => {};

export function createChain(deps: ChainDeps, opts: ChainOptions = {}): GuardChain {
  if (opts.benchOnlyDisableGuards === BENCH_ONLY_DISABLE_ALL_GUARDS) {
    return { disabled: true, order: [], run: async () => ({ pass: true, principal: anonymous, release: noop, events: [] }), admit: () => undefined, rejections: () => ({}) };
  }
  const { perAddress, perCaller, perFunction, maxTracked } = deps.rateLimit;
  const chain: Array<[id: GuardId, guard: Guard]> = [
    ['ip-block', guards['ip-block'].create({}, { blocklist: deps.blocklist })],
    ['rate-limit', guards['rate-limit'].create({ perAddress, maxTracked })],
    ['body-limit', guards['body-limit'].create()],
    ['authn', guards.authn.create({}, { authenticator: deps.authenticator, ...(deps.callTokens ? { callTokens: deps.callTokens } : {}) })],
    ['authz', guards.authz.create()],
    ['caller-rate-limit', guards['caller-rate-limit'].create({ perCaller, perFunction, maxTracked }, deps.throttles ? { throttles: deps.throttles } : {})],
    ['schema', guards.schema.create()],
    ['injection', guards.injection.create()],
    ['budget', guards.budget.create({}, { ledger: deps.ledger })],
    ['concurrency', guards.concurrency.create()],
  ];
  const counts = new Map<string, number>();
  const count = (id: string, rule: string | undefined): void => {
    const key = `${id}/${rule ?? '-'}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  return {
    disabled: false,
    order: chain.map(([id]) => id),
    rejections: () => Object.fromEntries(counts),
    admit(sourceIp) {
      const refusal = blockedRefusal(deps.blocklist, sourceIp);
      if (!refusal) return undefined;
      count('ip-block', refusal.rule);
      return { ...refusal, guard: 'ip-block' };
    },
    async run(req) {
      const releases: Array<() => void> = [];
      const events: GuardEvent[] = [];
      const releaseAll = (): void => {
        for (const r of releases.splice(0)) r();
      };
      try {
        for (const [id, guard] of chain) {
          const verdict = await guard(req);
          if (!verdict.pass) {
            releaseAll();
            count(id, verdict.rule);
            return { ...verdict, guard: id, events };
          }
          if (verdict.principal) req.principal = verdict.principal;
          if (verdict.release) releases.push(verdict.release);
          if (verdict.events) events.push(...verdict.events);
        }
      } catch (err) {
        releaseAll();
        throw err;
      }
      return { pass: true, principal: req.principal ?? anonymous, release: releaseAll, events };
    },
  };
}
