// The guard chain: the ONLY place that declares the order guards run in. Cheap refusals come first
// so an attacker pays for as little work as possible before being turned away, and nothing that
// holds a resource (concurrency) runs until every check that could still refuse has passed.
//
//   (ip-block)       later issue: refuse blocked addresses before anything else
//   (rate-limit)     later issue: per-client request rate
//   body-limit       manifest limits.bodyBytes                   413
//   authn            API key / JWT / explicit public             401
//   authz            role may invoke + scope covers function     403
//   schema           manifest input JSON Schema                  400
//   (injection)      later issue: injection detection on input
//   (budget)         later issue: denial-of-wallet budget
//   concurrency      per-version semaphore + bounded queue       429 (holds a permit: must stay last)

import type { Authenticator } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { anonymous } from '../auth/principal.ts';
import { guards } from './index.ts';
import type { Deny, Guard, GuardRequest } from './types.ts';

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
  | Deny;

export interface GuardChain {
  readonly disabled: boolean;
  run(req: GuardRequest): Promise<ChainResult>;
}

const noop = (): void => {};

export function createChain(deps: ChainDeps, opts: ChainOptions = {}): GuardChain {
  if (opts.benchOnlyDisableGuards === BENCH_ONLY_DISABLE_ALL_GUARDS) {
    return { disabled: true, run: async () => ({ pass: true, principal: anonymous, release: noop }) };
  }
  const order: Guard[] = [
    guards['body-limit'].create(),
    guards.authn.create({}, { authenticator: deps.authenticator }),
    guards.authz.create(),
    guards.schema.create(),
    guards.concurrency.create(),
  ];
  return {
    disabled: false,
    async run(req) {
      const releases: Array<() => void> = [];
      const releaseAll = (): void => {
        for (const r of releases.splice(0)) r();
      };
      try {
        for (const guard of order) {
          const verdict = await guard(req);
          if (!verdict.pass) {
            releaseAll();
            return verdict;
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
