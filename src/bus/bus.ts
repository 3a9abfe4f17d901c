// The event-bus seam. Security-relevant happenings are published on the `security` topic as typed
// SecurityEvents; the audit ledger (src/audit/) records every one before delivery, and alert rules
// (src/incidents/) act on them.
// Application messages (what queue triggers consume) travel on subjects (src/bus/subject.ts) as
// BusMessages, shaped like NATS messages so a NATS bus carries them as they are.
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
  // A request for a route that does not exist, under /fn or anywhere (scanners probe for these):
  // detail { method, path }.
  | 'route.unknown'
  // The injection guard found an attack in an event (src/guards/injection/): detail { class, field, mode
  // (block|monitor), evidence (SHA-256 of the offending string, never the string) }, or class
  // 'uninspectable' with { field, mode, reason } when the event exceeded the inspection bounds
  | 'injection.detected'
  // An address was blocked (src/abuse/blocklist.ts): sourceIp is the address; detail { address, kind
  // (automatic|manual), reason, ttlMs (null: until removed), expiresAt, offence, score, evidence[] }
  | 'ip.blocked'
  // A block was lifted: detail { address, kind (manual|expired|allowlisted), reason, blockedAt, blockKind }
  | 'ip.unblocked'
  // A queue message or scheduled run was given up on and stored as a dead letter (src/triggers/):
  // detail { deadLetterId, messageId, source, subject, reason, guard, rule, attempts }
  | 'queue.dead-lettered'
  // Denial-of-wallet budgets (src/metering/ledger.ts), once per period and scope each:
  // a scope's settled spend reached 50% or 80% of its limit: detail { scope, key, percent, spend, limit, currency, periodEnd }
  | 'budget.alert'
  // a scope moved between tiers open → throttle → exhausted: detail { scope, key, from, to, spend, limit, currency, periodEnd }
  | 'budget.tier-changed'
  // A credential was found on its way out (src/dlp/): detail { kind, where (response|log), action
  // (blocked|redacted), count, evidence (first 12 hex of the SHA-256 of the first match, never the value) }
  | 'dlp.leak'
  // Code signing (src/signing/): every signature verdict of a deploy: detail { mode (warn|enforce),
  // verdict (signed|unsigned|invalid|unknown-key|revoked-key), keyId (null when unsigned), accepted, sha256 }
  | 'deploy.signature-checked'
  // The same check on rollback, of the signature stored with the target version against the keys of
  // now (version: the target): detail { mode, verdict, keyId (null when deployed unsigned), accepted, sha256 }
  | 'rollback.signature-checked'
  // A bundle file on disk did not hash to its deployed digest when a worker was about to load it (the
  // worker was not started): detail { sha256 (expected), actual (digest of the file found) }
  | 'sandbox.bundle-tampered'
  // Vault (src/vault/, src/gateway/admin/secrets.ts): a secret was set, rotated, rolled back or removed:
  // detail { name, version (null when removed), change (set|rotate|rollback|remove) }. Never the value.
  | 'secret.changed'
  // The master key was rotated: detail { masterKeyId (public id of the new key), rewrapped, source (env|file) }
  | 'vault.master-rotated'
  // A BULWARK_MASTER_KEY rotation was prepared (nothing re-wrapped yet): detail { masterKeyId (public id of
  // the prepared key), expiresAt }. Never the key.
  | 'vault.master-rotation-prepared'
  // Capability use through the broker (src/runtime/capabilities/): detail { capability, target } (for
  // secrets, the secret's name; never a value; for fetch, the host:port of an allowed call, whose
  // refusals are egress.denied). `used`: allowed and served; `denied`: not granted.
  | 'capability.used'
  | 'capability.denied'
  // Publisher keys registered or revoked through the admin API: detail { keyId, name }
  | 'publisher.added'
  | 'publisher.revoked'
  // Incidents (src/incidents/): a rule matched and opened an incident: detail { incidentId, rule, severity,
  // key (what the rule groups by: an address, an actor, a function), status (open), change (opened), matches }
  | 'incident.opened'
  // An incident changed: detail { incidentId, rule, severity, key, status (open|acknowledged|resolved),
  // change (matched|acknowledged|resolved), matches }; actor: the admin for ack/resolve
  | 'incident.updated'
  // A playbook action ran for an incident: detail { incidentId, rule, action (block-address|throttle-caller|
  // disable-function|revoke-key|rotate-secrets|notify-webhook), target (address, actor, function, key id,
  // secret names or webhook host; never a value), outcome (done|skipped|failed), reason }. actor 'incident:<id>'
  | 'playbook.action'
  // Lifecycle (src/lifecycle/): a function was disabled (by an admin, or by the expiry sweep whose actor
  // is 'lifecycle-sweep'): detail { reason, killedWorkers (true when its sandboxes were retired) }
  | 'function.disabled'
  // ... or enabled again: detail { reason, disabledAt, disabledReason }
  | 'function.enabled'
  // A function was offboarded (at expiry, by the sweep: mode 'disable'; by `bulwark rm`: mode 'remove'):
  // detail { mode, reason, revokedKeys[] (key ids), narrowedKeys[] (key ids whose scope lost this
  // function), deletedSecrets[] / keptSecrets[] (names, with the functions still granting the kept ones),
  // kvNamespaces[], kvPurged (bool), kvEntriesDeleted, triggers { http, queue, schedule } (counts stopped) }.
  // Names and ids only, never a secret's value.
  | 'function.offboarded'
  // The deploy gate (src/scanner/gate/, docs/scanner.md): a version was deployed with its security scan
  // recorded: detail { source (cli|none), failOn, counts (deployer's scan, by severity), serverCounts
  // (the gateway's manifest re-scan, by severity), suppressed, files, waived (number of waived findings) }
  | 'scan.completed'
  // ... and findings at or above failOn went through on waivers: detail { failOn, waivers: [{ ruleId,
  // severity, file, line, reason, expires, approvedBy }] }. Rule ids and file paths, never source code.
  | 'scan.waived'
  // The gateway started with its configuration (src/audit/config-change.ts): detail { digest, sections
  // (digest per top-level key), changed (sections that differ from the previous start's; null: first) }
  | 'config.loaded';

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

/**
 * An application message: a subject, opaque bytes (JSON text for queue triggers) and string headers —
 * exactly what a NATS message carries. What the headers mean is the business of the publisher and the
 * consumer (src/triggers/message.ts), not of the bus.
 */
export interface BusMessage {
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

export interface EventBus {
  readonly kind: string;
  publish<T extends Topic>(topic: T, event: TopicMap[T]): Promise<void>;
  subscribe<T extends Topic>(topic: T, handler: (event: TopicMap[T]) => void | Promise<void>): Unsubscribe;
  /**
   * Delivers `message` to every subscriber of its exact subject, each with its own copy; a message no
   * one subscribes to is dropped, as on NATS. Refuses an invalid subject with BWK_E_BUS_SUBJECT_INVALID.
   * Resolves once the bus has taken the message, not once subscribers have handled it.
   */
  publishMessage(message: BusMessage): Promise<void>;
  /** Subscribes to one exact subject (no wildcards). Refuses an invalid subject with BWK_E_BUS_SUBJECT_INVALID. */
  subscribeMessages(subject: string, handler: (message: BusMessage) => void | Promise<void>): Unsubscribe;
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
