// The guard chain: the ONLY place that declares the order guards run in. Cheap refusals come first
// so an attacker pays for as little work as possible before being turned away, and nothing that
// holds a resource (concurrency) runs until every check that could still refuse has passed.
//
//   (ip-block)       issue 3: refuse blocked addresses before anything else        403
//   (rate-limit)     issue 3: token buckets per client, key and function           429
//   body-limit       manifest limits.bodyBytes                                     413
//   authn            API key / JWT / explicit public                               401
//   authz            role may invoke + scope covers function                       403
//   schema           manifest input JSON Schema                                    400
//   (injection)      issue 3: injection detection on every decoded input string    400
//   (budget)         issue 3: denial-of-wallet budget                              429
//   concurrency      per-version semaphore + bounded queue                         429 (holds a permit: must stay last)
//
// Every refusal leaves here as a Rejection naming the guard (and its rule); the gateway publishes it
// as a `guard.rejected` security event and the chain counts it, so no guard reports for itself.

import type { Authenticator } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { anonymous } from '../auth/principal.ts';
import { guards, type GuardId } from './index.ts';
import type { Guard, GuardRequest, Rejection } from './types.ts';

/**
 * Passing this (and only this) value as `benchOnlyDisableGuards` turns the whole chain off: no
 * authentication, no limits. It exists so the benchmark can measure the chain's cost. A symbol cannot
 * come from a config file, an environment variable or a JSON body, so it cannot be enabled by accident.
 */
export const BENCH_ONLY_DISABLE_ALL_GUARDS: unique symbol = Symbol('bulwark.bench-only.disable-all-guards');

export interface ChainDeps {
  authenticator: Authenticator;
}

export interface ChainOptions {
  benchOnlyDisableGuards?: typeof BENCH_ONLY_DISABLE_ALL_GUARDS;
}

export type ChainResult =
  | { pass: true; principal: Principal; release: () => void }
  | Rejection;

export interface GuardChain {
  readonly disabled: boolean;
  /** Guard ids in the order they run. */
  readonly order: readonly string[];
  run(req: GuardRequest): Promise<ChainResult>;
  /** Rejections since start, keyed "<guard>/<rule>" (rule "-" when the guard gave none). */
  rejections(): Record<string, number>;
}

const noop = (): void => {};

export function createChain(deps: ChainDeps, opts: ChainOptions = {}): GuardChain {
  if (opts.benchOnlyDisableGuards === BENCH_ONLY_DISABLE_ALL_GUARDS) {
    return { disabled: true, order: [], run: async () => ({ pass: true, principal: anonymous, release: noop }), rejections: () => ({}) };
  }
  const chain: Array<[id: GuardId, guard: Guard]> = [
    ['body-limit', guards['body-limit'].create()],
    ['authn', guards.authn.create({}, { authenticator: deps.authenticator })],
    ['authz', guards.authz.create()],
    ['schema', guards.schema.create()],
    ['concurrency', guards.concurrency.create()],
  ];
  const counts = new Map<string, number>();
  return {
    disabled: false,
    order: chain.map(([id]) => id),
    rejections: () => Object.fromEntries(counts),
    async run(req) {
      const releases: Array<() => void> = [];
      const releaseAll = (): void => {
        for (const r of releases.splice(0)) r();
      };
      try {
        for (const [id, guard] of chain) {
          const verdict = await guard(req);
          if (!verdict.pass) {
            releaseAll();
            const key = `${id}/${verdict.rule ?? '-'}`;
            counts.set(key, (counts.get(key) ?? 0) + 1);
            return { ...verdict, guard: id };
          }
          if (verdict.principal) req.principal = verdict.principal;
          if (verdict.release) releases.push(verdict.release);
        }
      } catch (err) {
        releaseAll();
        throw err;
      }
      return { pass: true, principal: req.principal ?? anonymous, release: releaseAll };
    },
  };
}
