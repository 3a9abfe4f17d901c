// Bulwark API keys: `bwk_<id>_<secret>`. The id (12 base62 chars) is a public lookup handle that may
// appear in logs and events; the secret (32 random bytes, base64url) is shown once and never stored.
//
// Only SHA-256(secret) is kept. A slow password hash (scrypt, argon2) exists to make guessing
// low-entropy human passwords expensive; a 256-bit random secret cannot be guessed whatever the
// hash speed, so a fast hash loses nothing and keeps key checks cheap on the hot path.

import { hash, randomBytes, randomInt, timingSafeEqual } from 'node:crypto';
import type { ApiKeyRecord, ApiKeyStore } from '../store/store.ts';
import type { Role } from './roles.ts';
import type { Principal } from './principal.ts';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
const ID_LENGTH = 12;
const KEY_FORMAT = /^bwk_([A-Za-z0-9]{12})_([A-Za-z0-9_-]{43})$/;
/** Anything shaped like an id, for naming a failed attempt in an event without echoing garbage. */
const ID_PREFIX = /^bwk_([A-Za-z0-9]{1,12})/;

export interface NewApiKey {
  role: Role;
  functions: string[];
  label?: string;
  expiresInDays?: number;
  /**
   * The latest the key may expire (ISO 8601), typically its creator's own expiry: an earlier
   * expiresInDays is kept, a later one or none is cut to this.
   */
  notAfter?: string;
}

export interface CreatedApiKey {
  record: ApiKeyRecord;
  /** The full key. Returned once, to be shown once: it cannot be recovered later. */
  key: string;
}

export type KeyCheck =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'malformed' | 'unknown' | 'wrong-secret' | 'revoked' | 'expired'; keyId?: string };

export function looksLikeApiKey(value: string): boolean {
  return value.startsWith('bwk_');
}

/** The id part of a presented key, safe for logs; undefined when the value is not key-shaped. */
export function keyIdPrefix(value: string): string | undefined {
  return ID_PREFIX.exec(value)?.[1];
}

export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

function randomId(): string {
  let id = '';
  for (let i = 0; i < ID_LENGTH; i++) id += BASE62[randomInt(BASE62.length)];
  return id;
}

function expiryOf(input: NewApiKey, now: Date): string | null {
  const requested = input.expiresInDays === undefined ? Infinity : now.getTime() + input.expiresInDays * 86_400_000;
  const cap = input.notAfter === undefined ? Infinity : Date.parse(input.notAfter);
  const at = Math.min(requested, cap);
  return at === Infinity ? null : new Date(at).toISOString();
}

export async function createApiKey(store: ApiKeyStore, input: NewApiKey, now: Date = new Date()): Promise<CreatedApiKey> {
  const id = randomId();
  const secret = randomBytes(32).toString('base64url');
  const record: ApiKeyRecord = {
    id,
    secretHash: hashSecret(secret),
    role: input.role,
    functions: [...input.functions],
    label: input.label ?? '',
    createdAt: now.toISOString(),
    expiresAt: expiryOf(input, now),
    revokedAt: null,
  };
  await store.insert(record);
  return { record, key: `bwk_${id}_${secret}` };
}

export function isUsable(record: ApiKeyRecord, now: Date): boolean {
  return record.revokedAt === null && (record.expiresAt === null || Date.parse(record.expiresAt) > now.getTime());
}

// Compared against when the id is unknown, so an unknown id costs the same as a wrong secret.
const DECOY_HASH = Buffer.from(hashSecret('decoy'), 'hex');

export async function verifyApiKey(store: ApiKeyStore, presented: string, now: Date = new Date()): Promise<KeyCheck> {
  const m = KEY_FORMAT.exec(presented);
  if (!m) return { ok: false, reason: 'malformed', keyId: keyIdPrefix(presented) };
  const [, id, secret] = m as unknown as [string, string, string];
  const record = await store.get(id);
  const presentedHash = hash('sha256', secret, 'buffer');
  const storedHash = record ? Buffer.from(record.secretHash, 'hex') : DECOY_HASH;
  const match = storedHash.length === presentedHash.length && timingSafeEqual(storedHash, presentedHash);
  if (!record) return { ok: false, reason: 'unknown', keyId: id };
  if (!match) return { ok: false, reason: 'wrong-secret', keyId: id };
  return checkRecord(record, now);
}

/**
 * Checks again, by its id, a key that authenticated earlier (a queue message's publisher, at delivery):
 * it must still exist and be neither revoked nor expired. The principal is rebuilt from the stored key.
 */
export async function recheckApiKey(store: ApiKeyStore, id: string, now: Date = new Date()): Promise<KeyCheck> {
  const record = await store.get(id);
  if (!record) return { ok: false, reason: 'unknown', keyId: id };
  return checkRecord(record, now);
}

function checkRecord(record: ApiKeyRecord, now: Date): KeyCheck {
  const id = record.id;
  if (record.revokedAt !== null) return { ok: false, reason: 'revoked', keyId: id };
  if (record.expiresAt !== null && Date.parse(record.expiresAt) <= now.getTime()) return { ok: false, reason: 'expired', keyId: id };
  return {
    ok: true,
    principal: { kind: 'api-key', actor: `key:${id}`, roles: [record.role], functions: [...record.functions], keyId: id, expiresAt: record.expiresAt },
  };
}
