// The one path from an admitted event to a function, whatever its source (HTTP request, queue message,
// scheduled run):
//   1. guards    src/guards/chain.ts, in its declared order; a refusal is published here, once, as
//                `guard.rejected` {guard, rule, code, source} (plus the guard's own event, if it names one),
//                and so are the events of guards that passed (injection findings in monitor mode)
//   2. event     built by the source (API Gateway payload, SQS record batch, EventBridge event) once the
//                chain has named the principal
//   3. invoke    sandbox.invoke, never for a caller that has gone (HTTP: disconnected; queue, schedule:
//                the platform is stopping)
//   4. release   the chain's held resources (the concurrency permit), however the invocation ended
// What a source does with a refusal or a failure differs (an HTTP error answer, a retry, a dead letter)
// and stays with the source: src/gateway/invoke.ts, src/triggers/.

import { BulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { Principal } from '../auth/principal.ts';
import type { ChainResult, GuardChain } from '../guards/chain.ts';
import type { GuardEvent, GuardRequest, Rejection } from '../guards/types.ts';
import type { HttpResult, SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { SpendLedger } from '../metering/ledger.ts';

export interface DispatchDeps {
  chain: GuardChain;
  sandbox: SandboxProvider;
  bus: EventBus;
  logger: Logger;
  /** Meters every invocation (src/metering/ledger.ts) and settles the budget guard's reservation. */
  ledger: Pick<SpendLedger, 'measure'>;
}

export type Dispatched =
  | { admitted: true; principal: Principal; result: HttpResult }
  | { admitted: false; rejection: Rejection };

export interface Dispatcher {
  /**
   * Runs `req` through the chain and, once admitted, the function. `admit` is called exactly once, after
   * the chain passed and before the sandbox runs, with the principal the chain settled on; it returns the
   * event the handler receives. Sandbox failures (BWK_E_SANDBOX_*, BWK_E_GATEWAY_CLIENT_CLOSED) are thrown.
   */
  dispatch(req: GuardRequest, admit: (principal: Principal) => unknown): Promise<Dispatched>;
}

export function createDispatcher(deps: DispatchDeps): Dispatcher {
  /** Every security event of one chain run: the passing guards' own (monitor findings), then the refusal. */
  async function recordChainEvents(req: GuardRequest, verdict: ChainResult): Promise<void> {
    if (verdict.pass && verdict.events.length === 0) return;
    const base = {
      requestId: req.requestId,
      function: req.fn.name,
      version: req.fn.version,
      actor: req.principal?.actor ?? 'anonymous',
      sourceIp: req.sourceIp,
    };
    const publish = (event: GuardEvent) => publishSecurityEvent(deps.bus, deps.logger, { ...base, type: event.type, detail: event.detail });
    for (const event of verdict.events) await publish(event);
    if (verdict.pass) return;
    await publish({
      type: 'guard.rejected',
      detail: { guard: verdict.guard, rule: verdict.rule ?? null, code: verdict.error.code, source: req.source },
    });
    if (verdict.event) await publish({ type: verdict.event.type, detail: { ...verdict.event.detail, code: verdict.error.code } });
  }

  return {
    async dispatch(req, admit) {
      const verdict = await deps.chain.run(req);
      await recordChainEvents(req, verdict);
      if (!verdict.pass) return { admitted: false, rejection: verdict };
      try {
        const event = admit(verdict.principal);
        if (req.signal.aborted) throw new BulwarkError('BWK_E_GATEWAY_CLIENT_CLOSED', [], { function: req.fn.name, source: req.source });
        // Metered around the sandbox call only: the time the function ran is what is billed.
        const result = await deps.ledger.measure(req, () => deps.sandbox.invoke(req.fn, {
          requestId: req.requestId, event, actor: verdict.principal.actor, source: req.source,
          ...(verdict.principal.caller ? { caller: verdict.principal.caller } : {}),
        }));
        return { admitted: true, principal: verdict.principal, result };
      } finally {
        verdict.release();
      }
    },
  };
}
