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
// Metrics of every dispatched event are recorded here and nowhere else (src/telemetry/metrics.ts), and
// so are the guard chain and sandbox spans of a trace (src/telemetry/tracing.ts) when tracing is on.

import { BulwarkError, isBulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { Principal } from '../auth/principal.ts';
import type { ChainResult, GuardChain } from '../guards/chain.ts';
import type { GuardEvent, GuardRequest, Rejection } from '../guards/types.ts';
import type { HttpResult, SandboxProvider } from '../runtime/sandbox/sandbox.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { SpendLedger } from '../metering/ledger.ts';
import type { GatewayMetrics } from '../telemetry/metrics.ts';
import type { TraceSpan, Tracing } from '../telemetry/tracing.ts';
import type { LastSeen } from '../lifecycle/last-seen.ts';
import { assertInvocable, type DisabledLookup } from '../lifecycle/admission.ts';

export interface DispatchDeps {
  chain: GuardChain;
  sandbox: SandboxProvider;
  bus: EventBus;
  logger: Logger;
  /** Meters every invocation (src/metering/ledger.ts) and settles the budget guard's reservation. */
  ledger: Pick<SpendLedger, 'measure'>;
  metrics: Pick<GatewayMetrics, 'dispatched'>;
  /** Present only when tracing is on: otherwise no tracing code runs per event. */
  tracing?: Tracing;
  /** Last invocation per function (src/lifecycle/last-seen.ts), touched when the chain admits one; absent: not tracked. */
  lastSeen?: Pick<LastSeen, 'touch'>;
  /**
   * Disabled functions (src/lifecycle/admission.ts), checked again once the chain passed: the sources
   * check before the chain, and an event can wait there (concurrency queue) while its function is
   * disabled. Absent: only the sources' check.
   */
  lifecycle?: DisabledLookup;
}

export type Dispatched =
  | { admitted: true; principal: Principal; result: HttpResult }
  | { admitted: false; rejection: Rejection };

export interface Dispatcher {
  /**
   * Runs `req` through the chain and, once admitted, the function. `admit` is called exactly once, after
   * the chain passed and before the sandbox runs, with the principal the chain settled on; it returns the
   * event the handler receives. Sandbox failures (BWK_E_SANDBOX_*, BWK_E_GATEWAY_CLIENT_CLOSED) are thrown.
   * `span`: the trace span of the request this event belongs to (HTTP); without one, and with tracing
   * on, the event gets a root span of its own (queue, schedule, function calls).
   */
  dispatch(req: GuardRequest, admit: (principal: Principal) => unknown, span?: TraceSpan): Promise<Dispatched>;
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
    // Published together, in this order: the audit ledger commits the appends of one event-loop turn in
    // one transaction, so a refusal costs one durable commit, not one per event.
    const events = [...verdict.events];
    if (!verdict.pass) {
      events.push({
        type: 'guard.rejected',
        detail: { guard: verdict.guard, rule: verdict.rule ?? null, code: verdict.error.code, source: req.source },
      });
      if (verdict.event) events.push({ type: verdict.event.type, detail: { ...verdict.event.detail, code: verdict.error.code } });
    }
    await Promise.all(events.map(publish));
  }

  return {
    async dispatch(req, admit, span) {
      const started = performance.now();
      const own = span === undefined && deps.tracing
        ? deps.tracing.start(`${req.source} ${req.fn.name}`, req.source === 'queue' ? 'consumer' : 'internal', { 'faas.name': req.fn.name, 'faas.version': req.fn.version, 'faas.trigger': req.source })
        : undefined;
      const trace = span ?? own;
      const chainSpan = trace?.child('guard chain');
      const verdict = await deps.chain.run(req);
      chainSpan?.end(verdict.pass ? undefined : verdict.error);
      await recordChainEvents(req, verdict);
      if (!verdict.pass) {
        deps.metrics.dispatched(req.fn.name, req.source, 'rejected', verdict.error.status, verdict.error.code, undefined);
        own?.end(verdict.error);
        return { admitted: false, rejection: verdict };
      }
      let sandboxSpan: TraceSpan | undefined;
      try {
        if (deps.lifecycle) await assertInvocable(deps.lifecycle, req.fn);
        // After the re-check: an event refused because its function was disabled meanwhile is no invocation.
        deps.lastSeen?.touch(req.fn.name);
        const event = admit(verdict.principal);
        if (req.signal.aborted) throw new BulwarkError('BWK_E_GATEWAY_CLIENT_CLOSED', [], { function: req.fn.name, source: req.source });
        sandboxSpan = trace?.child('sandbox invocation', { 'faas.name': req.fn.name, 'faas.version': req.fn.version });
        // Metered around the sandbox call only: the time the function ran is what is billed.
        const result = await deps.ledger.measure(req, () => deps.sandbox.invoke(req.fn, {
          requestId: req.requestId, event, actor: verdict.principal.actor, source: req.source,
          ...(verdict.principal.caller ? { caller: verdict.principal.caller } : {}),
        }));
        sandboxSpan?.set({ 'http.response.status_code': result.statusCode });
        sandboxSpan?.end();
        deps.metrics.dispatched(req.fn.name, req.source, 'ok', result.statusCode, undefined, (performance.now() - started) / 1000);
        own?.end();
        return { admitted: true, principal: verdict.principal, result };
      } catch (err) {
        const error = isBulwarkError(err) ? err : new BulwarkError('BWK_E_GATEWAY_INTERNAL');
        sandboxSpan?.end(error);
        deps.metrics.dispatched(req.fn.name, req.source, 'failed', error.status, error.code, (performance.now() - started) / 1000);
        own?.end(error);
        throw err;
      } finally {
        verdict.release();
      }
    },
  };
}
