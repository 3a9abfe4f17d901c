// `bulwark audit verify`: walks the whole ledger once, in seq order, and reports the FIRST sequence
// number at which it stops being what was written.
//   - a record whose content no longer hashes to its stored hash: modified (or forged)        → its seq
//   - a seq missing from 1, 2, 3…: deleted, or everything after renumbered                   → the missing seq
//   - a record whose prevHash is not the previous record's hash: inserted, reordered, swapped → its seq
//   - fewer records than a signed checkpoint covers: truncated                                → last seq + 1
//   - a consistent chain that disagrees with a signed checkpoint: rewritten with recomputed
//     hashes (the chain alone cannot catch that; the signature can)                          → the first seq after the last checkpoint that matched
//   - a checkpoint whose signature does not verify with the node key                         → its seq
// Checkpoints come from the ledger itself and, optionally, from an exported file kept elsewhere: only
// an exported one catches truncation together with deletion of the stored checkpoints.

import type { AuditCheckpoint, AuditLog } from '../store/store.ts';
import { GENESIS_HASH, recordHash } from './record.ts';
import { checkpointSignedBy, type NodeKey } from './node-key.ts';

export interface VerifyOptions {
  /** The node key checkpoint signatures are checked with; required when there are checkpoints. */
  key?: NodeKey;
  /** A checkpoint exported earlier, with the key that signed it. */
  exported?: { checkpoint: AuditCheckpoint; key: NodeKey };
  /** Records read per query. */
  pageSize?: number;
}

export interface VerifyProblem {
  firstBadSeq: number;
  reason: string;
}

export interface VerifyResult {
  ok: boolean;
  records: number;
  head: { seq: number; hash: string };
  checkpointsVerified: number;
  /** The first problem by sequence number; absent when ok. */
  problem?: VerifyProblem;
}

export async function verifyLedger(log: AuditLog, opts: VerifyOptions = {}): Promise<VerifyResult> {
  const pageSize = opts.pageSize ?? 10_000;
  const problems: VerifyProblem[] = [];
  const checkpoints: Array<{ checkpoint: AuditCheckpoint; key: NodeKey | undefined; source: string }> = (await log.checkpoints())
    .map((checkpoint) => ({ checkpoint, key: opts.key, source: 'stored' }));
  if (opts.exported) checkpoints.push({ ...opts.exported, source: 'exported' });
  const wanted = new Set(checkpoints.map((c) => c.checkpoint.seq));
  const hashAt = new Map<number, string>();

  // The chain.
  let prev = { seq: 0, hash: GENESIS_HASH };
  let count = 0;
  walk: for (;;) {
    const page = await log.range(prev.seq + 1, pageSize);
    for (const r of page) {
      const expected = prev.seq + 1;
      if (r.seq !== expected) {
        problems.push({ firstBadSeq: expected, reason: `record ${expected} is missing (the next stored record is ${r.seq})` });
        break walk;
      }
      if (recordHash(r) !== r.hash) {
        problems.push({ firstBadSeq: r.seq, reason: `record ${r.seq} does not match its hash: it was modified` });
        break walk;
      }
      if (r.prevHash !== prev.hash) {
        problems.push({ firstBadSeq: r.seq, reason: `record ${r.seq} does not follow record ${prev.seq}: a record was inserted, removed or moved` });
        break walk;
      }
      if (wanted.has(r.seq)) hashAt.set(r.seq, r.hash);
      prev = { seq: r.seq, hash: r.hash };
      count++;
    }
    if (page.length < pageSize) break;
  }
  const chainBrokenAt = problems[0]?.firstBadSeq;

  // The checkpoints, oldest first: each one that matches moves the "known good up to" mark.
  let verified = 0;
  let goodUpTo = 0;
  for (const { checkpoint: c, key, source } of checkpoints.sort((a, b) => a.checkpoint.seq - b.checkpoint.seq)) {
    if (chainBrokenAt !== undefined && c.seq >= chainBrokenAt) continue;
    if (!key) {
      problems.push({ firstBadSeq: c.seq, reason: `the ${source} checkpoint at ${c.seq} cannot be checked: no node key` });
      continue;
    }
    if (!checkpointSignedBy(key, c)) {
      const why = c.keyId === key.id ? 'its signature does not verify' : `it names key ${c.keyId}, not the node key ${key.id}`;
      problems.push({ firstBadSeq: c.seq, reason: `the ${source} checkpoint at ${c.seq} is not genuine: ${why}` });
      continue;
    }
    if (c.seq > prev.seq) {
      problems.push({ firstBadSeq: prev.seq + 1, reason: `the ledger ends at ${prev.seq} but the ${source} checkpoint covers ${c.seq} records: it was truncated` });
      continue;
    }
    if (hashAt.get(c.seq) !== c.hash) {
      problems.push({ firstBadSeq: goodUpTo + 1, reason: `records ${goodUpTo + 1}..${c.seq} do not match the ${source} checkpoint at ${c.seq}: they were rewritten` });
      continue;
    }
    goodUpTo = Math.max(goodUpTo, c.seq);
    verified++;
  }

  const first = problems.sort((a, b) => a.firstBadSeq - b.firstBadSeq)[0];
  return { ok: first === undefined, records: count, head: prev, checkpointsVerified: verified, ...(first ? { problem: first } : {}) };
}
