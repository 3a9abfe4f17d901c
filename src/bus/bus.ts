// The event-bus seam. Security-relevant happenings are published on the `security` topic as typed
// SecurityEvents; a later issue persists that stream into the audit ledger and drives alerts from it.
// The embedded implementation is src/bus/in-process/; NATS comes later and must pass bus.contract.ts.

import type { Logger } from '../telemetry/logger.ts';

export type SecurityEventType =
  | 'deploy.succeeded'
  | 'deploy.rejected'
  | 'function.rolled-back'
  | 'function.removed'
  | 'key.created'
  | 'key.revoked'
  | 'auth.failed'
  | 'authz.denied'
  | 'sandbox.permission-denied'
  | 'sandbox.timeout'
  | 'sandbox.memory-exceeded'
  | 'sandbox.crashed'
  | 'sandbox.protocol-violation'
  | 'egress.denied'
  // A guard refused an invocation: detail { guard, rule, code }. The one record of every refusal.
  | 'guard.rejected'
  // A request for a function route that does not exist (scanners probe for these).
  | 'route.unknown';

export interface SecurityEvent {
  type: SecurityEventType;
  at: string;
  requestId?: string;
  function?: string;
  version?: number;
  /** Who did it: an API key id, a JWT subject, or 'anonymous'. Never a secret. */
  actor?: string;
  sourceIp?: string;
  detail?: Record<string, unknown>;
}

export interface TopicMap {
  security: SecurityEvent;
}

export type Topic = keyof TopicMap;
export type Unsubscribe = () => void;

export interface EventBus {
  readonly kind: string;
  publish<T extends Topic>(topic: T, event: TopicMap[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: (event: TopicMap[T]) => void | Promise<void>): Unsubscribe;
  close(): Promise<void>;
}

/**
 * Publishes a security event stamped with the current time. What it reports has already happened (or
 * been refused): a bus failure is logged, never turned into a failure of the request or change itself.
 */
export async function publishSecurityEvent(bus: EventBus, logger: Logger, event: Omit<SecurityEvent, 'at'>): Promise<void> {
  try {
    await bus.publish('security', { ...event, at: new Date().toISOString() });
  } catch (err) {
    logger.error({ err, event: event.type, requestId: event.requestId }, 'security event not published');
  }
}
