// What one audit record is made of and how it is hashed. The canonical serialisation is a JSON array
// of the fields in a fixed order (no key order to disagree on) with the details already canonical JSON
// text, so the hash covers the exact bytes stored; `bulwark audit verify` recomputes it with this same
// function. Changing anything here breaks every existing ledger: bump RECORD_FORMAT instead.

import type { SecurityEvent } from '../bus/bus.ts';
import { sha256Hex, type AuditRecord } from '../store/store.ts';
import { redactValue } from '../telemetry/redact.ts';

/** Part of every hashed serialisation, so a future format can never be confused with this one. */
export const RECORD_FORMAT = 'bwk-audit-1';
/** prevHash of record 1. */
export const GENESIS_HASH = '0'.repeat(64);

export type UnsealedRecord = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash'>;

export function recordHash(r: Omit<AuditRecord, 'hash'>): string {
  const canonical = JSON.stringify([RECORD_FORMAT, r.seq, r.at, r.actor, r.action, r.target, r.outcome, r.requestId, r.sourceIp, r.details, r.prevHash]);
  return sha256Hex(Buffer.from(canonical, 'utf8'));
}

/** Chains `r` after the record with `prev` (seq, hash). */
export function seal(r: UnsealedRecord, prev: { seq: number; hash: string }): AuditRecord {
  const unhashed = { seq: prev.seq + 1, ...r, prevHash: prev.hash };
  return { ...unhashed, hash: recordHash(unhashed) };
}

/** JSON with object keys sorted at every depth: the same value always gives the same text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = sortKeys((value as Record<string, unknown>)[k]);
    return out;
  }
  return value;
}

// Outcome by the event type's last word, so event types added later are classified without a table
// to keep in step: refusals are `denied`, things that broke are `failed`, the rest happened (`ok`).
const DENIED = /[.-](failed|denied|rejected|unknown|blocked|detected|leak|tampered)$/;
const FAILED = /[.-](timeout|exceeded|crashed|violation|dead-lettered)$/;

export function outcomeOf(e: SecurityEvent): string {
  const detail = e.detail ?? {};
  if (typeof detail.outcome === 'string') return detail.outcome;
  if (detail.accepted === false) return 'denied';
  if (DENIED.test(e.type)) return 'denied';
  if (FAILED.test(e.type)) return 'failed';
  return 'ok';
}

// The detail fields that name what an event is about, in order of preference (bus.ts documents the
// detail shapes): the first present one is the target when the event names no function.
const TARGET_FIELDS = ['keyId', 'address', 'name', 'target', 'deadLetterId', 'masterKeyId', 'key', 'path'] as const;

export function targetOf(e: SecurityEvent): string {
  if (e.function) return e.version === undefined ? e.function : `${e.function}@${e.version}`;
  const detail = e.detail ?? {};
  for (const f of TARGET_FIELDS) {
    const v = detail[f];
    if (typeof v === 'string' || typeof v === 'number') return String(v);
  }
  return '';
}

/**
 * The record of a security event, before it is chained. The details go through the log redaction
 * (src/telemetry/redact.ts): secret-named keys and credential-shaped values never reach the ledger.
 */
export function recordOf(e: SecurityEvent): UnsealedRecord {
  const actor = e.actor ?? (e.requestId !== undefined || e.sourceIp !== undefined ? 'anonymous' : 'system');
  return {
    at: e.at,
    actor: String(redactValue(actor)),
    action: e.type,
    target: String(redactValue(targetOf(e))),
    outcome: outcomeOf(e),
    requestId: e.requestId ?? null,
    sourceIp: e.sourceIp ?? null,
    details: canonicalJson(redactValue(e.detail ?? {})),
  };
}
