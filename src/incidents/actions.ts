// The playbook actions a rule may take (docs/incidents.md), each against the target the triggering event
// names, each returning its outcome rather than throwing: one failing action never stops the others,
// and every outcome goes into the incident's timeline and a playbook.action event.
//
// Every action acts as `incident:<id>`. The events they cause (ip.blocked, key.revoked, secret.changed,
// function.disabled) carry that actor, and the engine ignores events from it, so a playbook never
// triggers itself (engine.ts).

import { randomInt } from 'node:crypto';
import { publishSecurityEvent, type EventBus, type SecurityEvent } from '../bus/bus.ts';
import type { Blocklist } from '../abuse/blocklist.ts';
import type { CallerThrottles } from '../limits/caller-throttles.ts';
import { canonicalIp } from '../net/address-set.ts';
import type { ApiKeyStore, FunctionRegistry, Incident } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { RuleAction } from './rules.ts';

/** The kill switch, narrowed to what a playbook needs (src/lifecycle/disable.ts in the platform). */
export interface FunctionDisabler {
  /** Resolves true when this call disabled the function, false when it was disabled already. */
  disable(name: string, reason: string, actor: string): Promise<boolean>;
}

/** The vault, narrowed to what rotation needs. */
export interface SecretRotator {
  get(name: string): Promise<Buffer | undefined>;
  rotate(name: string, value: Uint8Array, actor: string): Promise<{ name: string; version: number }>;
}

export interface ActionDeps {
  bus: EventBus;
  logger: Logger;
  blocklist: Pick<Blocklist, 'blocked' | 'isAllowlisted' | 'blockManually'>;
  throttles: CallerThrottles;
  keys: Pick<ApiKeyStore, 'get' | 'revoke'>;
  functions: Pick<FunctionRegistry, 'getActive'>;
  secrets: SecretRotator;
  /** Absent: disable-function is skipped (recorded as such). */
  disabler?: FunctionDisabler;
  now?: () => number;
}

export interface ActionOutcome {
  action: RuleAction['type'];
  /** What it acted on: an address, an actor, a function, a key id, secret names, a webhook host. Never a value. */
  target: string | null;
  outcome: 'done' | 'skipped' | 'failed';
  reason: string;
  detail?: Record<string, unknown>;
}

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * A new random value shaped like `old`, so whatever consumes the secret still parses it: the same
 * length (at least 24 characters) and alphabet, a leading "prefix_" (sk_, ghp_, whsec_) kept. The
 * alphabets recognised, narrowest first: hex (case kept), alphanumeric, base64url, base64 (padding
 * kept); anything else becomes base64url. It cannot be a value the downstream service accepts: the
 * owner must set the service's new credential (docs/incidents.md); until then the function fails
 * closed rather than using a leaked value.
 */
export function shapedRandom(old: string): string {
  const prefix = /^[A-Za-z]{2,12}[_-]/.exec(old)?.[0] ?? '';
  const body = old.slice(prefix.length);
  const pad = /=*$/.exec(body)![0];
  const core = body.slice(0, body.length - pad.length);
  const length = Math.max(24, core.length);
  let alphabet: string;
  if (/^[0-9a-f]+$/.test(core)) alphabet = '0123456789abcdef';
  else if (/^[0-9A-F]+$/.test(core)) alphabet = '0123456789ABCDEF';
  else if (/^[A-Za-z0-9]+$/.test(core)) alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  else if (/^[A-Za-z0-9+/]+$/.test(core) && pad !== '') alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  else alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  let out = '';
  for (let i = 0; i < length; i++) out += alphabet[randomInt(alphabet.length)];
  return prefix + out + pad;
}

/** The authenticated caller an event is about: its actor, or the caller in a per-caller budget's key. */
function callerOf(e: SecurityEvent): string | undefined {
  if (e.actor && e.actor !== 'anonymous') return e.actor;
  const scope = e.detail?.scope;
  const key = text(e.detail?.key);
  if (!key) return undefined;
  if (scope === 'global-caller') return key;
  if (scope === 'caller' && key.includes('/')) return key.slice(key.indexOf('/') + 1);
  return undefined;
}

/** Runs one action for `incident`, triggered by `event`. Never throws. */
export async function runAction(deps: ActionDeps, action: Exclude<RuleAction, { type: 'notify-webhook' }>, incident: Incident, event: SecurityEvent): Promise<ActionOutcome> {
  const actor = `incident:${incident.id}`;
  const reason = `incident ${incident.id} (rule ${incident.rule})`;
  const now = deps.now ?? Date.now;
  const result = (target: string | null, outcome: ActionOutcome['outcome'], why: string, detail?: Record<string, unknown>): ActionOutcome =>
    ({ action: action.type, target, outcome, reason: why, ...(detail ? { detail } : {}) });
  try {
    switch (action.type) {
      case 'block-address': {
        const address = event.sourceIp ? canonicalIp(event.sourceIp) : undefined;
        if (!address) return result(null, 'skipped', 'the event names no client address');
        if (deps.blocklist.isAllowlisted(address)) return result(address, 'skipped', 'the address is on ipBlock.allowlist');
        // The abuse scorer usually blocked it on the same event: its block (with its evidence and its
        // escalating TTL) is left exactly as it is, never replaced, shortened or lengthened.
        const existing = deps.blocklist.blocked(address);
        if (existing) return result(address, 'skipped', `already blocked (${existing.kind}, by ${existing.actor}, until ${existing.expiresAt ?? 'removed'})`);
        const block = await deps.blocklist.blockManually(address, { reason, ttlMs: action.ttlMs, actor });
        return result(address, 'done', 'blocked', { expiresAt: block.expiresAt });
      }
      case 'throttle-caller': {
        const caller = callerOf(event);
        if (!caller) return result(null, 'skipped', 'the event names no authenticated caller');
        const until = now() + action.ttlMs;
        deps.throttles.set({ actor: caller, spec: { rate: action.rate, burst: action.burst }, until, reason });
        return result(caller, 'done', 'throttled', { until: new Date(until).toISOString(), burst: action.burst, ratePerSec: action.rate.count * 1000 / action.rate.perMs });
      }
      case 'disable-function': {
        if (!event.function) return result(null, 'skipped', 'the event names no function');
        if (!deps.disabler) return result(event.function, 'skipped', 'no function disabler in this gateway');
        const changed = await deps.disabler.disable(event.function, reason, actor);
        return result(event.function, 'done', changed ? 'disabled' : 'was disabled already');
      }
      case 'revoke-key': {
        // Only the verified caller's own key: a key id merely named by an unauthenticated request
        // (auth.failed detail.keyId) would let anyone get a victim's key revoked.
        const keyId = event.actor?.startsWith('key:') ? event.actor.slice(4) : undefined;
        if (!keyId) return result(null, 'skipped', 'the event was not made with an API key');
        const key = await deps.keys.get(keyId);
        if (!key) return result(keyId, 'skipped', 'no such key');
        const revoked = await deps.keys.revoke(keyId, new Date(now()).toISOString());
        if (!revoked) return result(keyId, 'skipped', 'was revoked already');
        await publishSecurityEvent(deps.bus, deps.logger, { type: 'key.revoked', actor, detail: { keyId, reason } });
        return result(keyId, 'done', 'revoked');
      }
      case 'rotate-secrets': {
        if (!event.function) return result(null, 'skipped', 'the event names no function');
        const fn = await deps.functions.getActive(event.function);
        const names = fn?.manifest.permissions.secrets ?? [];
        if (names.length === 0) return result(event.function, 'skipped', 'the function is granted no secrets');
        const rotated: Array<{ name: string; version: number }> = [];
        const missing: string[] = [];
        for (const name of names) {
          const current = await deps.secrets.get(name);
          if (!current) {
            missing.push(name);
            continue;
          }
          const value = Buffer.from(shapedRandom(current.toString('utf8')), 'utf8');
          const info = await deps.secrets.rotate(name, value, actor);
          rotated.push({ name: info.name, version: info.version });
          await publishSecurityEvent(deps.bus, deps.logger, { type: 'secret.changed', actor, function: event.function, detail: { name: info.name, version: info.version, change: 'rotate' } });
        }
        if (rotated.length === 0) return result(names.join(','), 'skipped', 'none of its secrets is set');
        return result(rotated.map((r) => r.name).join(','), 'done',
          'rotated to new random values: the owner must issue new credentials downstream and set them (bulwark secrets set)',
          { rotated, ...(missing.length ? { notSet: missing } : {}) });
      }
    }
  } catch (err) {
    deps.logger.error({ err, incident: incident.id, action: action.type }, 'playbook action failed');
    const code = (err as { code?: unknown }).code;
    return result(null, 'failed', typeof code === 'string' ? code : 'unexpected error');
  }
}
