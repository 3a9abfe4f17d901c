// Delivering one queue message (to one consuming function) or one scheduled run: the part both trigger
// kinds share. Each attempt resolves the function's active version afresh, builds a GuardRequest and goes
// through the same dispatch path as HTTP (src/gateway/dispatch.ts: the whole guard chain, then the
// sandbox). Then:
//   admitted and the handler returned ......................... done
//   refused with 429 (concurrency, rate, budget throttle) ...... retried after a backoff, like a throttled
//                                                                SQS poller, within the attempt bound
//   refused otherwise (schema, injection, authz, …) ............ dead-lettered at once: the same input
//                                                                would be refused again
//   the handler failed (threw, timed out, crashed, …) ......... retried with backoff, dead-lettered after
//                                                                triggers.maxAttempts attempts
//   the platform stops while an attempt waits ................. dead-lettered with the last reason
//   the function is gone, expired, or no longer has the trigger  queue: dead-lettered; schedule: the run
//                                                                is skipped (it is no longer due)
// Nothing is dropped silently: a dead letter is stored (src/store/ DeadLetterStore), announced as a
// `queue.dead-lettered` security event, and if even the store fails, logged with its payload.

import { randomUUID } from 'node:crypto';
import { isBulwarkError } from '../errors.ts';
import { publishSecurityEvent, type EventBus } from '../bus/bus.ts';
import type { Principal } from '../auth/principal.ts';
import { refusalOf } from '../lifecycle/admission.ts';
import type { Trigger } from '../manifest/types.ts';
import { lazyJson, type GuardRequest } from '../guards/types.ts';
import type { Dispatcher } from '../gateway/dispatch.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import { DEAD_LETTER_PAYLOAD_BYTES, type DeadLetter, type FunctionVersion, type Store } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';

export interface DeliveryDeps {
  store: Store;
  bus: EventBus;
  dispatcher: Dispatcher;
  logger: Logger;
  /** Attempts before a failing message is dead-lettered (config triggers.maxAttempts). */
  maxAttempts: number;
  /** Backoff before the first retry, doubled for each further one (config triggers.retryDelayMs). */
  retryDelayMs: number;
  /** Aborted when the platform stops: waits end, and what is still undelivered is dead-lettered. */
  closing: AbortSignal;
}

/** One thing to deliver to one function. */
export interface Delivery {
  source: 'queue' | 'schedule';
  functionName: string;
  /** The version that was active when the delivery was routed: recorded if the function is gone since. */
  routedVersion: number;
  /** The message id, or the scheduled run's event id. */
  messageId: string;
  /** Queue subject; null for a scheduled run. */
  subject: string | null;
  /** The payload as JSON text. */
  body: Buffer;
  /** The publisher (queue) or the scheduler (schedule); undefined when a message names none. */
  principal: Principal | undefined;
  sourceIp: string;
  /**
   * The trigger of `fn` this delivery goes through, or undefined when the active version no longer has
   * it (redeployed or rolled back without it since the delivery was routed).
   */
  triggerOf(fn: FunctionVersion): Trigger | undefined;
  /** The handler's event for attempt `attempt` (from 1). */
  event(attempt: number): unknown;
}

/** The GuardRequest of a queue message or scheduled run: a POST-like request whose body is the payload. */
export function eventRequest(e: {
  requestId: string;
  fn: FunctionTarget;
  trigger: Trigger;
  body: Buffer;
  principal: Principal | undefined;
  sourceIp: string;
  signal: AbortSignal;
}): GuardRequest {
  return {
    requestId: e.requestId,
    fn: e.fn,
    source: e.trigger.kind,
    trigger: e.trigger,
    method: 'POST',
    headers: {},
    query: {},
    params: {},
    body: e.body,
    json: lazyJson(e.body),
    sourceIp: e.sourceIp,
    principal: e.principal,
    signal: e.signal,
  };
}

interface Ending {
  reason: string;
  guard: string | null;
  rule: string | null;
  attempts: number;
  version: number;
}

const RETRYABLE_STATUS = 429;

/** Resolves after `ms`, or false at once when `signal` aborts first. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', stop);
      resolve(true);
    }, ms);
    const stop = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', stop, { once: true });
  });
}

export function createDeliverer(deps: DeliveryDeps): (d: Delivery) => Promise<void> {
  const { logger } = deps;

  async function deadLetter(d: Delivery, end: Ending): Promise<void> {
    const payload = d.body.length > DEAD_LETTER_PAYLOAD_BYTES ? d.body.subarray(0, DEAD_LETTER_PAYLOAD_BYTES).toString('utf8') : d.body.toString('utf8');
    const letter: DeadLetter = {
      id: randomUUID(),
      at: new Date().toISOString(),
      source: d.source,
      subject: d.subject,
      function: d.functionName,
      version: end.version,
      messageId: d.messageId,
      actor: d.principal?.actor ?? 'unknown',
      payload,
      payloadBytes: d.body.length,
      reason: end.reason,
      guard: end.guard,
      rule: end.rule,
      attempts: end.attempts,
    };
    let stored = true;
    try {
      await deps.store.deadLetters.add(letter);
    } catch (err) {
      stored = false;
      // The last place the message exists: the log keeps it whole (bounded like the store's copy).
      logger.error({ err, deadLetter: letter }, 'dead letter could not be stored');
    }
    logger.warn({ deadLetterId: letter.id, messageId: d.messageId, function: d.functionName, source: d.source, subject: d.subject, reason: end.reason, guard: end.guard, rule: end.rule, attempts: end.attempts }, 'dead-lettered');
    await publishSecurityEvent(deps.bus, logger, {
      type: 'queue.dead-lettered',
      function: d.functionName,
      version: end.version,
      actor: letter.actor,
      sourceIp: d.sourceIp,
      detail: {
        deadLetterId: letter.id, messageId: d.messageId, source: d.source, subject: d.subject,
        reason: end.reason, guard: end.guard, rule: end.rule, attempts: end.attempts, stored,
      },
    });
  }

  return async function deliver(d) {
    let version = d.routedVersion;
    let last: Omit<Ending, 'attempts' | 'version'> = { reason: 'BWK_E_GATEWAY_INTERNAL', guard: null, rule: null };
    for (let attempt = 1; attempt <= deps.maxAttempts; attempt++) {
      if (attempt > 1 && !(await pause(deps.retryDelayMs * 2 ** (attempt - 2), deps.closing))) {
        return deadLetter(d, { ...last, attempts: attempt - 1, version });
      }
      const requestId = randomUUID();
      try {
        const fn = await deps.store.functions.getActive(d.functionName);
        const trigger = fn && d.triggerOf(fn);
        // Expired or disabled (src/lifecycle/admission.ts): the same refusal as an HTTP request gets. A
        // store error reading it is thrown, so the attempt is retried like any other failed one.
        const refusal = fn ? await refusalOf(deps.store.lifecycle, fn) : undefined;
        // A run of a schedule that no longer exists, or of an expired or disabled function, is not due: nothing is lost.
        if (d.source === 'schedule' && (!fn || !trigger || refusal)) {
          logger.info({ messageId: d.messageId, function: d.functionName, version: fn?.version, code: refusal ? refusal.code : undefined }, 'scheduled run skipped: the schedule is gone or its function has expired or is disabled');
          return;
        }
        if (!fn || !trigger) {
          const reason = fn ? 'BWK_E_BUS_NO_CONSUMER' : 'BWK_E_REGISTRY_FUNCTION_NOT_FOUND';
          return deadLetter(d, { reason, guard: null, rule: null, attempts: attempt - 1, version: fn?.version ?? version });
        }
        version = fn.version;
        if (refusal) return deadLetter(d, { reason: refusal.code, guard: null, rule: null, attempts: attempt - 1, version });
        const target: FunctionTarget = { name: fn.name, version: fn.version, sha256: fn.sha256, manifest: fn.manifest };
        const req = eventRequest({ requestId, fn: target, trigger, body: d.body, principal: d.principal, sourceIp: d.sourceIp, signal: deps.closing });
        const outcome = await deps.dispatcher.dispatch(req, () => d.event(attempt));
        if (outcome.admitted) {
          logger.info({ requestId, messageId: d.messageId, function: fn.name, version, source: d.source, subject: d.subject, attempt, actor: outcome.principal.actor }, 'event delivered');
          return;
        }
        const r = outcome.rejection;
        last = { reason: r.error.code, guard: r.guard, rule: r.rule ?? null };
        if (r.error.status !== RETRYABLE_STATUS) return deadLetter(d, { ...last, attempts: attempt, version });
      } catch (err) {
        last = { reason: isBulwarkError(err) ? err.code : 'BWK_E_GATEWAY_INTERNAL', guard: null, rule: null };
        logger.warn({ requestId, messageId: d.messageId, function: d.functionName, source: d.source, attempt, code: last.reason, err }, 'event delivery attempt failed');
      }
    }
    return deadLetter(d, { ...last, attempts: deps.maxAttempts, version });
  };
}
