// Prometheus metrics (docs/metrics.md). Recorded from two places only:
//   - src/gateway/dispatch.ts, the one path every event takes to a function (http, queue, schedule,
//     invoke): invocations, their latency and their error codes, through `dispatched`;
//   - the security event stream: guard refusals by guard and rule, and every event by type.
// Pool state and spend are read when scraped (collect callbacks), so they cost nothing per request;
// worker spawns come from the sandbox provider's observer.
// The registry is this gateway's own (never prom-client's global one): two platforms in one process
// (tests) keep separate counts. Labels carry function names, guard ids, rules and error codes, never a
// key id, an address or anything else a caller chose.

import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventBus, SecurityEvent } from '../bus/bus.ts';
import type { PoolStats } from '../runtime/sandbox/sandbox.ts';

/** How a dispatched event ended: the function answered, a guard refused it, or the sandbox failed. */
export type InvocationOutcome = 'ok' | 'rejected' | 'failed';

export interface MetricsDeps {
  bus: EventBus;
  /** Worker counts per function, read at scrape time (SandboxProvider.stats). */
  pools: () => PoolStats[];
  /** Settled spend of the current period per function, read at scrape time (src/metering/ledger.ts). */
  spend: () => Promise<Array<{ function: string; spend: number }>>;
  currency: string;
}

export interface GatewayMetrics {
  readonly registry: Registry;
  /** The Content-Type of render()'s text. */
  readonly contentType: string;
  /**
   * One dispatched event. `status`: the HTTP status of the answer (the function's, or the error's);
   * `code`: the BWK_E_* code when it was refused or failed; `seconds`: chain start to result, for events
   * that reached the sandbox.
   */
  dispatched(fn: string, source: string, outcome: InvocationOutcome, status: number, code: string | undefined, seconds: number | undefined): void;
  /** A worker spawn reached ready (ok) or failed, `seconds` after it began. */
  workerStarted(fn: string, seconds: number, ok: boolean): void;
  render(): Promise<string>;
  /** Stops listening to the bus. */
  close(): void;
}

/** Latency buckets from a warm invocation (~1 ms) to the longest function timeout. */
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300];
/** A worker start is tens to hundreds of ms; past the start and load timeouts it has failed. */
const START_BUCKETS = [0.025, 0.05, 0.1, 0.2, 0.35, 0.5, 0.75, 1, 2, 5, 10, 30];

/**
 * Rules are short identifiers chosen by guards (a schema part, an injection class, a block kind); this
 * keeps a label to that shape whatever a future guard passes, so a label never carries request text.
 */
export function ruleLabel(rule: unknown): string {
  if (typeof rule !== 'string') return '';
  return rule.replace(/[^A-Za-z0-9._:-]/g, '_').slice(0, 64);
}

export function statusClass(status: number): string {
  return status >= 100 && status < 600 ? `${Math.floor(status / 100)}xx` : 'other';
}

/**
 * `metric.labels(...)` hashes its label values on every call; the child for a label set is cached
 * instead, so a hot-path record is one Map lookup and an add.
 */
function childCache<T>(make: (...values: string[]) => T): (...values: string[]) => T {
  const children = new Map<string, T>();
  return (...values) => {
    const key = values.join('\0');
    let child = children.get(key);
    if (child === undefined) children.set(key, child = make(...values));
    return child;
  };
}

export function createMetrics(deps: MetricsDeps): GatewayMetrics {
  const registry = new Registry();
  const registers = [registry];

  const invocations = new Counter({
    name: 'bulwark_invocations_total',
    help: 'Events dispatched to a function, by function, source (http, queue, schedule, invoke), outcome (ok, rejected, failed) and status class',
    labelNames: ['function', 'source', 'outcome', 'status_class'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'bulwark_invocation_duration_seconds',
    help: 'Time from the guard chain start to the function result, for events that reached the sandbox',
    labelNames: ['function'] as const,
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const errors = new Counter({
    name: 'bulwark_errors_total',
    help: 'Dispatched events refused or failed, by function and BWK_E_* code',
    labelNames: ['function', 'code'] as const,
    registers,
  });
  const rejections = new Counter({
    name: 'bulwark_guard_rejections_total',
    help: 'Guard refusals (guard.rejected security events), by guard, rule and code',
    labelNames: ['guard', 'rule', 'code'] as const,
    registers,
  });
  const securityEvents = new Counter({
    name: 'bulwark_security_events_total',
    help: 'Security events published, by type',
    labelNames: ['type'] as const,
    registers,
  });
  const spawns = new Counter({
    name: 'bulwark_sandbox_worker_spawns_total',
    help: 'Worker processes started (cold starts), by function and result (ready, failed)',
    labelNames: ['function', 'result'] as const,
    registers,
  });
  const startSeconds = new Histogram({
    name: 'bulwark_sandbox_worker_start_seconds',
    help: 'Time from spawning a worker to it being ready to serve (or failing)',
    labelNames: ['function'] as const,
    buckets: START_BUCKETS,
    registers,
  });
  new Gauge({
    name: 'bulwark_sandbox_workers',
    help: 'Workers per function and state (busy, idle, starting), at scrape time',
    labelNames: ['function', 'state'] as const,
    registers,
    collect() {
      // Reset first: a function whose pools are gone must not keep its last counts.
      this.reset();
      for (const p of deps.pools()) {
        this.set({ function: p.function, state: 'busy' }, p.busy);
        this.set({ function: p.function, state: 'idle' }, p.idle);
        this.set({ function: p.function, state: 'starting' }, p.starting);
      }
    },
  });
  new Gauge({
    name: 'bulwark_sandbox_queued',
    help: 'Callers waiting for a worker, per function, at scrape time',
    labelNames: ['function'] as const,
    registers,
    collect() {
      this.reset();
      for (const p of deps.pools()) this.set({ function: p.function }, p.queued);
    },
  });
  new Gauge({
    name: 'bulwark_function_spend',
    help: 'Settled spend of the current metering period per function (as `bulwark spend` shows it)',
    labelNames: ['function', 'currency'] as const,
    registers,
    async collect() {
      const rows = await deps.spend();
      this.reset();
      for (const r of rows) this.set({ function: r.function, currency: deps.currency }, r.spend);
    },
  });

  const invocationOf = childCache((fn, source, outcome, cls) => invocations.labels(fn!, source!, outcome!, cls!));
  const durationOf = childCache((fn) => duration.labels(fn!));
  const errorOf = childCache((fn, code) => errors.labels(fn!, code!));
  const rejectionOf = childCache((guard, rule, code) => rejections.labels(guard!, rule!, code!));
  const eventOf = childCache((type) => securityEvents.labels(type!));

  const unsubscribe = deps.bus.subscribe('security', (event: SecurityEvent) => {
    eventOf(event.type).inc();
    if (event.type !== 'guard.rejected') return;
    const d = event.detail ?? {};
    rejectionOf(String(d.guard ?? ''), ruleLabel(d.rule), String(d.code ?? '')).inc();
  });

  return {
    registry,
    contentType: registry.contentType,
    dispatched(fn, source, outcome, status, code, seconds) {
      invocationOf(fn, source, outcome, statusClass(status)).inc();
      if (code !== undefined) errorOf(fn, code).inc();
      if (seconds !== undefined) durationOf(fn).observe(seconds);
    },
    workerStarted(fn, seconds, ok) {
      spawns.labels(fn, ok ? 'ready' : 'failed').inc();
      startSeconds.labels(fn).observe(seconds);
    },
    render: () => registry.metrics(),
    close: unsubscribe,
  };
}
