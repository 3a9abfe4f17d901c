// The incident engine: reads the `security` topic, evaluates every rule (rules.ts) on each event, and when
// one matches records it (IncidentStore: a new incident, or a match appended to the one in progress for
// the same rule and key) and runs the rule's playbook (actions.ts, webhook.ts). It also carries the
// human side: acknowledging and resolving. Every change is published as incident.opened /
// incident.updated, every action as playbook.action, so the audit ledger records them.
//
// Conditions are evaluated synchronously as events arrive (sliding windows in memory); what follows a
// match (store writes, actions) runs on one queue, in order, so two matches of one rule and key never
// race to open two incidents. Webhook deliveries run beside the queue (they may retry for a while) and
// append their outcome when done.
//
// Loops: the engine ignores the incidents' own event types and every event whose actor is an incident
// (`incident:<id>`), which is the actor of everything a playbook does. A block a playbook makes is
// therefore never the evidence of another match.
//
// Memory: per rule at most `maxTracked` keys are tracked (least recently seen forgotten beyond), each
// with at most `threshold` timestamps; at most MAX_PENDING matches wait on the queue (more are dropped
// and logged: an attack that fast is already being acted on).

import { randomBytes } from 'node:crypto';
import { publishSecurityEvent, type EventBus, type SecurityEvent, type Unsubscribe } from '../bus/bus.ts';
import { BulwarkError } from '../errors.ts';
import { leastRecentlyUsed } from '../limits/lru-order.ts';
import type { Incident, IncidentEntry, IncidentStore } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { runAction, type ActionDeps, type ActionOutcome } from './actions.ts';
import type { Rule } from './rules.ts';
import type { WebhookNotifier } from './webhook.ts';

export const MAX_PENDING = 1000;
/** Request ids kept in a trigger entry's summary. */
const SUMMARY_REQUESTS = 10;
/** Actions that re-run on a repeated match: they keep an attacker out after a block or throttle ran out. */
const REPEATABLE = new Set(['block-address', 'throttle-caller']);

export interface IncidentEngineDeps {
  rules: Rule[];
  store: IncidentStore;
  bus: EventBus;
  logger: Logger;
  actions: ActionDeps;
  /** Absent: notify-webhook actions are skipped (incidents.webhook is not configured). */
  webhook?: WebhookNotifier;
  maxTracked: number;
  now?: () => number;
}

export interface IncidentEngine {
  acknowledge(id: string, by: { actor: string; note?: string; requestId?: string }): Promise<Incident>;
  resolve(id: string, by: { actor: string; note?: string; requestId?: string }): Promise<Incident>;
  /** Resolves once every match seen so far has been handled and every webhook delivery has ended. */
  idle(): Promise<void>;
  /** Stops reading events, then waits for idle(). */
  stop(): Promise<void>;
}

interface Sighting {
  at: number;
  type: string;
  requestId?: string;
}

interface Match {
  rule: Rule;
  key: string;
  event: SecurityEvent;
  sightings: Sighting[];
}

const newId = () => `inc_${randomBytes(9).toString('base64url')}`;

function fieldOf(e: SecurityEvent, path: string): string | undefined {
  const v = path.startsWith('detail.') ? e.detail?.[path.slice(7)] : (e as unknown as Record<string, unknown>)[path];
  return typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : undefined;
}

function matches(rule: Rule, e: SecurityEvent): boolean {
  return rule.match.some((m) => m.type === e.type
    && Object.entries(m.detail).every(([field, values]) => values.includes(fieldOf(e, `detail.${field}`) ?? '\u0000')));
}

/** A bounded map kept in LRU order (see src/limits/lru-order.ts). */
function boundedMap<V>(max: number): { get(k: string): V | undefined; set(k: string, v: V): void; delete(k: string): void } {
  const map = new Map<string, V>();
  const oldest = leastRecentlyUsed(map);
  return {
    get(k) {
      const v = map.get(k);
      if (v !== undefined) {
        map.delete(k);
        map.set(k, v);
      }
      return v;
    },
    set(k, v) {
      map.delete(k);
      if (map.size >= max) map.delete(oldest()!);
      map.set(k, v);
    },
    delete(k) {
      map.delete(k);
    },
  };
}

export function startIncidentEngine(deps: IncidentEngineDeps): IncidentEngine {
  const { store, bus, logger } = deps;
  const now = deps.now ?? Date.now;
  const windows = new Map(deps.rules.map((r) => [r.id, boundedMap<Sighting[]>(deps.maxTracked)]));
  let queue: Promise<void> = Promise.resolve();
  let pending = 0;
  const deliveries = new Set<Promise<void>>();

  const publish = (event: Omit<SecurityEvent, 'at'>) => publishSecurityEvent(bus, logger, event);
  const changed = (incident: Incident, type: 'incident.opened' | 'incident.updated', change: string, actor: string, requestId?: string) => publish({
    type, actor, ...(requestId ? { requestId } : {}),
    detail: { incidentId: incident.id, rule: incident.rule, severity: incident.severity, key: incident.key, status: incident.status, change, matches: incident.matches },
  });

  function observe(e: SecurityEvent): void {
    if (e.type.startsWith('incident.') || e.type === 'playbook.action' || e.actor?.startsWith('incident:')) return;
    for (const rule of deps.rules) {
      if (!matches(rule, e)) continue;
      const key = fieldOf(e, rule.groupBy);
      if (key === undefined) continue;
      const sightings = windows.get(rule.id)!;
      const sighting: Sighting = { at: now(), type: e.type, ...(e.requestId ? { requestId: e.requestId } : {}) };
      if (rule.firstSeen) {
        const signature = `${key}\u0000${rule.firstSeen.map((f) => fieldOf(e, `detail.${f}`) ?? '').join('\u0000')}`;
        if (sightings.get(signature)) continue;
        sightings.set(signature, [sighting]);
        enqueue({ rule, key, event: e, sightings: [sighting] });
        continue;
      }
      const t = sighting.at;
      const kept = (sightings.get(key) ?? []).filter((s) => s.at > t - rule.windowMs);
      // Events of one request count once (a refused injection is both guard.rejected and injection.detected).
      if (sighting.requestId && kept.some((s) => s.requestId === sighting.requestId)) {
        sightings.set(key, kept);
        continue;
      }
      kept.push(sighting);
      if (kept.length >= rule.threshold) {
        sightings.delete(key);
        enqueue({ rule, key, event: e, sightings: kept });
      } else {
        sightings.set(key, kept);
      }
    }
  }

  function enqueue(m: Match): void {
    if (pending >= MAX_PENDING) {
      logger.error({ rule: m.rule.id, key: m.key }, 'incident queue full: match dropped');
      return;
    }
    pending++;
    queue = queue.then(() => handle(m)).catch((err: unknown) => {
      logger.error({ err, rule: m.rule.id }, 'incident handling failed');
    }).finally(() => {
      pending--;
    });
  }

  async function append(incident: Incident, entry: IncidentEntry): Promise<void> {
    await store.append(incident.id, entry);
  }

  async function recordAction(incident: Incident, o: ActionOutcome): Promise<void> {
    const actor = `incident:${incident.id}`;
    await append(incident, {
      at: new Date(now()).toISOString(), kind: 'action', actor,
      summary: `${o.action}${o.target ? ` ${o.target}` : ''}: ${o.outcome} (${o.reason})`,
      detail: { action: o.action, target: o.target, outcome: o.outcome, reason: o.reason, ...(o.detail ?? {}) },
    });
    await publish({
      type: 'playbook.action', actor,
      ...(o.action === 'block-address' && o.target ? { sourceIp: o.target } : {}),
      detail: { incidentId: incident.id, rule: incident.rule, action: o.action, target: o.target, outcome: o.outcome, reason: o.reason },
    });
  }

  async function handle(m: Match): Promise<void> {
    const { rule, key, event, sightings } = m;
    const types = [...new Set(sightings.map((s) => s.type))];
    const requests = sightings.flatMap((s) => (s.requestId ? [s.requestId] : [])).slice(-SUMMARY_REQUESTS);
    const entry: IncidentEntry = {
      at: new Date(now()).toISOString(),
      kind: 'trigger',
      actor: `rule:${rule.id}`,
      summary: rule.firstSeen
        ? `first ${event.type} of ${rule.firstSeen.map((f) => `${f}=${fieldOf(event, `detail.${f}`) ?? '-'}`).join(' ')} for ${rule.groupBy} ${key}`
        : `${sightings.length} × ${types.join('/')} for ${rule.groupBy} ${key} within ${rule.windowMs / 1000}s`,
      detail: {
        count: sightings.length, types, firstAt: new Date(sightings[0]!.at).toISOString(), lastAt: new Date(sightings.at(-1)!.at).toISOString(),
        requestIds: requests, ...(event.function ? { function: event.function } : {}), ...(event.sourceIp ? { sourceIp: event.sourceIp } : {}),
      },
    };
    const { incident, opened } = await store.recordMatch({ id: newId(), rule: rule.id, severity: rule.severity, key, entry });
    const actor = `incident:${incident.id}`;
    if (opened) {
      logger.warn({ incident: incident.id, rule: rule.id, key, severity: rule.severity }, 'incident opened');
      await changed(incident, 'incident.opened', 'opened', actor);
    } else {
      await changed(incident, 'incident.updated', 'matched', actor);
    }
    const outcomes: ActionOutcome[] = [];
    let notify = false;
    for (const action of rule.actions) {
      if (!opened && !REPEATABLE.has(action.type)) continue;
      if (action.type === 'notify-webhook') {
        notify = true;
        continue;
      }
      const outcome = await runAction(deps.actions, action, incident, event);
      outcomes.push(outcome);
      await recordAction(incident, outcome);
    }
    // Last, so the notification can say what was done.
    if (notify) {
      if (!deps.webhook) {
        await recordAction(incident, { action: 'notify-webhook', target: null, outcome: 'skipped', reason: 'incidents.webhook is not configured' });
        return;
      }
      const webhook = deps.webhook;
      const current = (await store.get(incident.id)) ?? incident;
      const payload = {
        incident: { id: current.id, rule: current.rule, severity: current.severity, status: current.status, key: current.key, openedAt: current.openedAt, updatedAt: current.updatedAt, matches: current.matches },
        rule: { id: rule.id, description: rule.description },
        trigger: entry.summary,
        actions: outcomes.map((o) => ({ action: o.action, target: o.target, outcome: o.outcome, reason: o.reason })),
      };
      const delivery = webhook.deliver('incident.opened', payload).then(
        (d) => recordAction(incident, {
          action: 'notify-webhook', target: webhook.target, outcome: d.ok ? 'done' : 'failed',
          reason: d.ok ? `delivered (HTTP ${d.status})` : `not delivered after ${d.attempts} attempt(s): ${d.reason}`,
          detail: { attempts: d.attempts },
        }),
      ).catch((err: unknown) => logger.error({ err, incident: incident.id }, 'incident webhook outcome not recorded'));
      deliveries.add(delivery);
      void delivery.finally(() => deliveries.delete(delivery));
    }
  }

  async function transition(id: string, to: 'acknowledged' | 'resolved', by: { actor: string; note?: string; requestId?: string }): Promise<Incident> {
    const from = to === 'acknowledged' ? ['open'] as const : ['open', 'acknowledged'] as const;
    const entry: IncidentEntry = {
      at: new Date(now()).toISOString(), kind: to, actor: by.actor,
      summary: `${to} by ${by.actor}${by.note ? `: ${by.note}` : ''}`,
      ...(by.note ? { detail: { note: by.note } } : {}),
    };
    const moved = await store.transition(id, from, to, entry);
    if (!moved) throw new BulwarkError('BWK_E_INCIDENT_NOT_FOUND', [id]);
    if (!moved.changed) throw new BulwarkError('BWK_E_INCIDENT_STATE', [id, moved.incident.status, to]);
    await changed(moved.incident, 'incident.updated', to, by.actor, by.requestId);
    return moved.incident;
  }

  const unsubscribe: Unsubscribe = bus.subscribe('security', (e) => observe(e));

  async function idle(): Promise<void> {
    for (;;) {
      const q = queue;
      await q;
      await Promise.all([...deliveries]);
      if (q === queue && deliveries.size === 0) return;
    }
  }

  return {
    acknowledge: (id, by) => transition(id, 'acknowledged', by),
    resolve: (id, by) => transition(id, 'resolved', by),
    idle,
    async stop() {
      unsubscribe();
      await idle();
    },
  };
}
