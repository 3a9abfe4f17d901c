// The two AES-256-GCM operations the vault is built from. Every sealed thing carries additional data
// (AAD) saying what it is and where it belongs: a ciphertext copied to another row, or a wrapped data
// key offered as a value, fails authentication instead of decrypting.

import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';

export const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface Sealed {
  iv: Buffer;
  ciphertext: Buffer;
  tag: Buffer;
}

/** AES-256-GCM with a fresh random 96-bit IV. */
export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Sealed {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { iv, ciphertext, tag: cipher.getAuthTag() };
}

/** Returns the plaintext, or undefined when the key is wrong or anything (data, IV, tag, AAD) was altered. */
export function unseal(key: Uint8Array, sealed: { iv: Uint8Array; ciphertext: Uint8Array; tag: Uint8Array }, aad: string): Buffer | undefined {
  if (sealed.iv.length !== IV_BYTES || sealed.tag.length !== TAG_BYTES) return undefined;
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.iv, { authTagLength: TAG_BYTES });
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.tag);
  try {
    return Buffer.concat([decipher.update(sealed.ciphertext), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** One blob (IV ‖ ciphertext ‖ tag), for wrapped data keys and the canary. */
export function sealBlob(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  const s = seal(key, plaintext, aad);
  return Buffer.concat([s.iv, s.ciphertext, s.tag]);
}

export function unsealBlob(key: Uint8Array, blob: Uint8Array, aad: string): Buffer | undefined {
  if (blob.length < IV_BYTES + TAG_BYTES) return undefined;
  const b = Buffer.from(blob);
  return unseal(key, { iv: b.subarray(0, IV_BYTES), ciphertext: b.subarray(IV_BYTES, b.length - TAG_BYTES), tag: b.subarray(b.length - TAG_BYTES) }, aad);
}

/**
 * A master key's public id: HMAC-SHA256(key, label), 16 hex characters. It names which key sealed a row
 * and tells a wrong key at a glance; being a one-way function of a 256-bit key, it reveals nothing usable.
 */
export function masterKeyId(key: Uint8Array): string {
  return createHmac('sha256', key).update('bulwark-vault/master-key-id').digest('hex').slice(0, 16);
}

/**
 * What commits a prepared BULWARK_MASTER_KEY rotation: HMAC-SHA256(newKey, label), 64 hex characters,
 * computed by the operator's side from the key it saved. Unlike the key id (handed out beside the key),
 * it can only be made by someone holding the key, and it is not the key, so the key crosses the wire once.
 */
export function rotationProof(key: Uint8Array): string {
  return createHmac('sha256', key).update('bulwark-vault/rotation-commit').digest('hex');
}
