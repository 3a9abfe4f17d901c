// The guard contract. A guard looks at one request and returns a Verdict; it never writes the
// response, never calls another guard and gets everything it needs through create(opts, deps).
// The gateway (src/gateway/invoke.ts) maps a denial to the response and the security event, once.

import type { BulwarkError, BulwarkErrorCode } from '../errors.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import type { Trigger, TriggerKind } from '../manifest/types.ts';
import type { Principal } from '../auth/principal.ts';
import type { SecurityEventType } from '../bus/bus.ts';

/** Where an event came from. Every source passes through the same chain (see chain.ts). */
export type EventSource = TriggerKind;

/**
 * `sourceIp` of events that have no client: scheduled runs, and a bus message whose headers do not say
 * where it was published from. 0.0.0.0 is never the address of a TCP peer, so no real caller shares it.
 * Queue messages normally carry their publisher's address (see src/triggers/message.ts).
 */
export const NO_CLIENT_IP = '0.0.0.0';

/** The body parsed as JSON, at most once per request: schema and injection both need it. */
export type ParsedBody = { ok: true; value: unknown } | { ok: false };

export interface GuardRequest {
  requestId: string;
  fn: FunctionTarget;
  source: EventSource;
  /** The manifest trigger the event came through; `trigger.kind` equals `source`. */
  trigger: Trigger;
  /** The HTTP method; 'POST' for queue messages and scheduled runs, which always carry a body. */
  method: string;
  /**
   * Lower-cased header names; a repeated header gives an array of every value (unlike Node's
   * `request.headers`, which drops repeats of some), as the function receives them. Empty for queue and schedule.
   */
  headers: Record<string, string | string[] | undefined>;
  /** Decoded query string parameters (a repeated name gives an array). Empty for queue and schedule. */
  query: Record<string, string | string[]>;
  /** Decoded path parameters of the matched trigger ({id} in /items/{id}). Empty for queue and schedule. */
  params: Record<string, string>;
  /**
   * Raw body bytes; undefined when the request had none. For queue and schedule: the payload as JSON
   * text (the message data, the schedule's payload), never undefined.
   */
  body: Buffer | undefined;
  /** `body` parsed as JSON (whatever its declared content type), memoised. */
  json(): ParsedBody;
  /**
   * The client address: the TCP peer, or X-Forwarded-For when the peer is a trusted proxy. For a queue
   * message, the address its publisher called the publish API from; for a scheduled run, NO_CLIENT_IP.
   */
  sourceIp: string;
  /**
   * HTTP: undefined until authn has passed, then the authenticated caller. Queue: the publisher, who was
   * authenticated at publish time; schedule: the scheduler principal. authn confirms those (see its docs).
   */
  principal: Principal | undefined;
  /** Source 'invoke' only: the call token the gateway signed for this call (authn verifies it). */
  callToken?: string;
  /**
   * Aborted when the caller disconnects before the answer (for queue and schedule: when the platform
   * stops): a guard holding the request must let go.
   */
  signal: AbortSignal;
}

export interface Pass {
  pass: true;
  /** authn hands the authenticated caller to the chain this way. */
  principal?: Principal;
  /** A held resource (a concurrency permit) to give back when the invocation ends. */
  release?: () => void;
  /** Security events to publish although the request passes (injection's monitor mode). */
  events?: GuardEvent[];
}

/** A security event a guard reports; the dispatcher (src/gateway/dispatch.ts) adds who, where and when. */
export interface GuardEvent {
  type: SecurityEventType;
  detail: Record<string, unknown>;
}

export interface Deny {
  pass: false;
  error: BulwarkError;
  /**
   * Which check of the guard refused (e.g. "sql", "per-key"), recorded and counted with the guard id;
   * never sent to the caller.
   */
  rule?: string;
  /** Extra response headers (Retry-After). */
  headers?: Record<string, string>;
  /** Security event the gateway publishes for this denial. */
  event?: GuardEvent;
}

/** A denial as the chain reports it: the refusing guard's id is added by the chain. */
export type Rejection = Deny & { guard: string };

export type Verdict = Pass | Deny;

export type Guard = (req: GuardRequest) => Promise<Verdict>;

export interface GuardMeta {
  /** Equals the folder name under src/guards/ and the docs page docs/guards/<id>.md. */
  id: string;
  /** Where in the chain it belongs; chain.ts fixes the actual order. */
  phase: 'admission' | 'identity' | 'input' | 'capacity';
  description: string;
  errors: readonly BulwarkErrorCode[];
}

/** Parses lazily and once; the result is shared by every guard of one request. */
export function lazyJson(body: Buffer | undefined): () => ParsedBody {
  let parsed: ParsedBody | undefined;
  return () => {
    if (parsed) return parsed;
    if (!body || body.length === 0) return (parsed = { ok: false });
    try {
      parsed = { ok: true, value: JSON.parse(body.toString('utf8')) };
    } catch {
      parsed = { ok: false };
    }
    return parsed;
  };
}

export function pass(extra: Omit<Pass, 'pass'> = {}): Pass {
  return { pass: true, ...extra };
}

export function deny(error: BulwarkError, extra: Omit<Deny, 'pass' | 'error'> = {}): Deny {
  return { pass: false, error, ...extra };
}
