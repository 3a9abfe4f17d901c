// The audit ledger's writer: turns security events into chained records and group-commits them.
//
// Durability: append() resolves only once the record's transaction has committed (synchronous=FULL,
// src/store/sqlite/database.ts), and auditedBus makes every `publish('security', …)` await it before
// the bus fan-out. The request paths await their publishes before answering, so a caller that got a
// response caused records that are on disk.
//
// Cost: every append of one event-loop turn shares one transaction (and one fsync), committed on the
// next setImmediate, or at once when maxBatch records wait. Invocations that publish no security event
// never reach this file. The chain head (seq, hash) lives here, loaded from the store at start; the
// store refuses a batch that does not continue its stored chain (BWK_E_AUDIT_CONFLICT), and after any
// failed commit the head is reloaded, so a failure never leaves the chain forked.

import type { EventBus, SecurityEvent, Topic, TopicMap } from '../bus/bus.ts';
import type { AuditCheckpoint, AuditLog, AuditRecord } from '../store/store.ts';
import type { Logger } from '../telemetry/logger.ts';
import { GENESIS_HASH, recordOf, seal, type UnsealedRecord } from './record.ts';
import { signCheckpoint, type NodeKey } from './node-key.ts';

export interface AuditLedgerOptions {
  /** A checkpoint is signed once this many records were appended since the last one… */
  checkpointEvery: number;
  /** …or this long after the last one when any record came since. */
  checkpointIntervalMs: number;
  /** Records of one transaction at most; more waiting commit at once rather than on the next turn. */
  maxBatch: number;
}

export interface AuditLedgerDeps {
  log: AuditLog;
  key: NodeKey;
  logger: Logger;
  now?: () => Date;
}

export interface AuditLedger {
  /** Resolves once the event's record is committed; rejects when that commit failed. */
  append(event: SecurityEvent): Promise<void>;
  /** Commits everything appended so far. */
  flush(): Promise<void>;
  /** Signs a checkpoint over the current head unless the last checkpoint already covers it. */
  checkpoint(): Promise<AuditCheckpoint | undefined>;
  /** Flushes, signs a final checkpoint, stops the timer. Appends after close are refused. */
  close(): Promise<void>;
}

interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
}

export async function openAuditLedger(opts: AuditLedgerOptions, deps: AuditLedgerDeps): Promise<AuditLedger> {
  const now = deps.now ?? (() => new Date());
  const latest = await deps.log.latest();
  let head = { seq: latest?.seq ?? 0, hash: latest?.hash ?? GENESIS_HASH };
  let checkpointedSeq = (await deps.log.checkpoints()).at(-1)?.seq ?? 0;
  let pending: { records: UnsealedRecord[]; waiters: Waiter[] } = { records: [], waiters: [] };
  let scheduled: NodeJS.Immediate | undefined;
  let closed = false;
  // Commits and checkpoints run one after another: each builds on the head the previous one left.
  let tail: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn, fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const sign = (seq: number, hash: string) => signCheckpoint(deps.key, { seq, hash, at: now().toISOString() });

  async function commit(batch: typeof pending): Promise<void> {
    const sealed: AuditRecord[] = [];
    let prev = head;
    for (const r of batch.records) {
      const s = seal(r, prev);
      sealed.push(s);
      prev = s;
    }
    const last = sealed.at(-1)!;
    let checkpoint: AuditCheckpoint | undefined;
    try {
      // Inside the try: a signing failure must reject the waiters like a failed write, never leave them pending.
      checkpoint = last.seq - checkpointedSeq >= opts.checkpointEvery ? sign(last.seq, last.hash) : undefined;
      await deps.log.append(sealed, checkpoint);
    } catch (err) {
      // Someone else may have appended (or the write half happened): start again from what is stored.
      const stored = await deps.log.latest().catch(() => undefined);
      if (stored) head = { seq: stored.seq, hash: stored.hash };
      for (const w of batch.waiters) w.reject(err);
      return;
    }
    head = { seq: last.seq, hash: last.hash };
    if (checkpoint) checkpointedSeq = checkpoint.seq;
    for (const w of batch.waiters) w.resolve();
  }

  function flush(): Promise<void> {
    if (scheduled) clearImmediate(scheduled);
    scheduled = undefined;
    const batch = pending;
    pending = { records: [], waiters: [] };
    if (batch.records.length === 0) return serially(async () => {});
    return serially(() => commit(batch));
  }

  function checkpoint(): Promise<AuditCheckpoint | undefined> {
    return serially(async () => {
      if (head.seq === 0 || head.seq === checkpointedSeq) return undefined;
      const c = sign(head.seq, head.hash);
      await deps.log.addCheckpoint(c);
      checkpointedSeq = c.seq;
      return c;
    });
  }

  const timer = setInterval(() => {
    checkpoint().catch((err) => deps.logger.error({ err }, 'audit checkpoint not written'));
  }, opts.checkpointIntervalMs);
  // The ledger alone never keeps the gateway alive.
  timer.unref();

  let closing: Promise<void> | undefined;
  return {
    append(event) {
      if (closed) return Promise.reject(new Error('the audit ledger is closed'));
      const record = recordOf(event);
      return new Promise<void>((resolve, reject) => {
        pending.records.push(record);
        pending.waiters.push({ resolve, reject });
        if (pending.records.length >= opts.maxBatch) void flush().catch(() => undefined);
        else scheduled ??= setImmediate(() => void flush().catch(() => undefined));
      });
    },
    flush,
    checkpoint,
    close() {
      closing ??= (async () => {
        closed = true;
        clearInterval(timer);
        await flush();
        await checkpoint();
      })();
      return closing;
    },
  };
}

/**
 * The bus the platform hands out when the ledger is on: a security event is committed to the ledger
 * before any subscriber sees it, and publish resolves only after that commit. A failed commit is
 * logged and the event still reaches the subscribers (alerts, blocking): what it reports has happened.
 */
export function auditedBus(bus: EventBus, ledger: AuditLedger, logger: Logger): EventBus {
  return {
    kind: bus.kind,
    async publish<T extends Topic>(topic: T, event: TopicMap[T]) {
      if (topic === 'security') {
        try {
          await ledger.append(event as SecurityEvent);
        } catch (err) {
          const e = event as SecurityEvent;
          logger.error({ err, event: e.type, requestId: e.requestId }, 'security event not recorded in the audit ledger');
        }
      }
      return bus.publish(topic, event);
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    publishMessage: (message) => bus.publishMessage(message),
    subscribeMessages: (subject, handler) => bus.subscribeMessages(subject, handler),
    close: () => bus.close(),
  };
}
