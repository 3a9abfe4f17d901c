// The node key that signs audit checkpoints: an Ed25519 key in $BULWARK_HOME/audit-node.key (PKCS#8
// PEM, mode 0600), created on the first start with the ledger on. Like the vault's master key file
// (src/vault/master-key.ts), a key file other users can read is refused rather than trusted.
// Checkpoints name the key by id (SHA-256 of its public key), so verify can tell "signed by another
// key" from "signature does not match".

import { createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, lstatSync, openSync, readFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { sha256Hex, type AuditCheckpoint } from '../store/store.ts';

export const NODE_KEY_FILE = 'audit-node.key';

export interface NodeKey {
  id: string;
  publicKey: KeyObject;
  /** Absent when only the public half is known (verifying an exported checkpoint). */
  privateKey?: KeyObject;
}

export function publicKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  return `audit_${sha256Hex(der).slice(0, 24)}`;
}

export function publicKeyPem(key: NodeKey): string {
  return key.publicKey.export({ type: 'spki', format: 'pem' }).toString();
}

export function nodeKeyFromPublicPem(pem: string): NodeKey {
  const publicKey = createPublicKey(pem);
  if (publicKey.asymmetricKeyType !== 'ed25519') throw new Error('not an Ed25519 public key');
  return { id: publicKeyId(publicKey), publicKey };
}

/** Reads the node key of `home`; undefined when there is none. */
export function readNodeKey(home: string): NodeKey | undefined {
  const file = join(home, NODE_KEY_FILE);
  if (!existsSync(file)) return undefined;
  const st = lstatSync(file);
  if (!st.isFile()) throw new BulwarkError('BWK_E_AUDIT_KEY_MALFORMED', [NODE_KEY_FILE]);
  if ((st.mode & 0o077) !== 0) throw new BulwarkError('BWK_E_AUDIT_KEY_PERMISSIONS', [NODE_KEY_FILE, (st.mode & 0o777).toString(8)]);
  let privateKey: KeyObject;
  try {
    privateKey = createPrivateKey(readFileSync(file, 'utf8'));
  } catch {
    throw new BulwarkError('BWK_E_AUDIT_KEY_MALFORMED', [NODE_KEY_FILE]);
  }
  if (privateKey.asymmetricKeyType !== 'ed25519') throw new BulwarkError('BWK_E_AUDIT_KEY_MALFORMED', [NODE_KEY_FILE]);
  const publicKey = createPublicKey(privateKey);
  return { id: publicKeyId(publicKey), publicKey, privateKey };
}

/** The node key of `home`, created (0600, fsynced, never replacing an existing file) when missing. */
export function loadOrCreateNodeKey(home: string): NodeKey {
  const existing = readNodeKey(home);
  if (existing) return existing;
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  // 'wx': two gateways starting on one home never replace each other's key.
  const fd = openSync(join(home, NODE_KEY_FILE), 'wx', 0o600);
  try {
    writeSync(fd, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  return { id: publicKeyId(publicKey), publicKey, privateKey };
}

/** The bytes a checkpoint signature covers. */
function statement(c: Pick<AuditCheckpoint, 'seq' | 'hash' | 'at'>): Buffer {
  return Buffer.from(JSON.stringify(['bwk-audit-checkpoint-1', c.seq, c.hash, c.at]));
}

export function signCheckpoint(key: NodeKey, c: { seq: number; hash: string; at: string }): AuditCheckpoint {
  if (!key.privateKey) throw new Error('signCheckpoint needs the private key');
  return { ...c, keyId: key.id, signature: sign(null, statement(c), key.privateKey).toString('base64') };
}

/** True when `c` was signed by `key`; false for another key or a signature that does not match. */
export function checkpointSignedBy(key: NodeKey, c: AuditCheckpoint): boolean {
  if (c.keyId !== key.id) return false;
  try {
    return verify(null, statement(c), key.publicKey, Buffer.from(c.signature, 'base64'));
  } catch {
    return false;
  }
}
