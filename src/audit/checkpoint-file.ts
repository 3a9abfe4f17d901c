// An exported checkpoint: the latest signed checkpoint of a ledger together with the public node key,
// written by `bulwark audit export --checkpoint-out` to be kept somewhere the gateway's host cannot
// write. `bulwark audit verify --checkpoint` then proves the ledger still holds at least those records,
// unchanged, even if the stored checkpoints were deleted with them.

import type { AuditCheckpoint } from '../store/store.ts';
import { BulwarkError } from '../errors.ts';
import { checkpointSignedBy, nodeKeyFromPublicPem, publicKeyPem, type NodeKey } from './node-key.ts';

export const CHECKPOINT_FILE_FORMAT = 'bwk-audit-checkpoint-1';

export interface CheckpointFile extends AuditCheckpoint {
  format: typeof CHECKPOINT_FILE_FORMAT;
  /** SPKI PEM of the node key that signed it. */
  publicKey: string;
}

export function checkpointFileText(checkpoint: AuditCheckpoint, key: NodeKey): string {
  const file: CheckpointFile = { format: CHECKPOINT_FILE_FORMAT, ...checkpoint, publicKey: publicKeyPem(key) };
  return JSON.stringify(file, null, 2) + '\n';
}

/** Parses and checks an exported checkpoint: shape, key, and that the key signed it. */
export function parseCheckpointFile(text: string): { checkpoint: AuditCheckpoint; key: NodeKey } {
  const invalid = (why: string) => new BulwarkError('BWK_E_AUDIT_CHECKPOINT_INVALID', [why]);
  let value: Partial<CheckpointFile>;
  try {
    value = JSON.parse(text) as Partial<CheckpointFile>;
  } catch {
    throw invalid('it is not JSON');
  }
  if (value === null || typeof value !== 'object' || value.format !== CHECKPOINT_FILE_FORMAT) throw invalid(`format is not ${CHECKPOINT_FILE_FORMAT}`);
  const { seq, hash, at, keyId, signature, publicKey } = value;
  if (!Number.isInteger(seq) || (seq as number) < 1) throw invalid('seq must be a positive integer');
  if (typeof hash !== 'string' || !/^[0-9a-f]{64}$/.test(hash)) throw invalid('hash must be 64 hex digits');
  if (typeof at !== 'string' || typeof keyId !== 'string' || typeof signature !== 'string' || typeof publicKey !== 'string') {
    throw invalid('at, keyId, signature and publicKey must be strings');
  }
  let key: NodeKey;
  try {
    key = nodeKeyFromPublicPem(publicKey);
  } catch {
    throw invalid('publicKey is not an Ed25519 public key');
  }
  const checkpoint: AuditCheckpoint = { seq: seq as number, hash, at, keyId, signature };
  if (!checkpointSignedBy(key, checkpoint)) throw invalid('its signature does not verify with its public key');
  return { checkpoint, key };
}
