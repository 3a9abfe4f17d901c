// Warm workers for one function bundle + runtime settings. Keeps `warm` idle workers ready, spawns more
// on demand up to limits.concurrency (see GROW_AFTER_MS for when), queues at most limits.queue callers
// beyond that (a second line behind the gateway's concurrency guard), and lets extra idle workers go
// after IDLE_REAP_MS.

import { BulwarkError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import { LOAD_TIMEOUT_MS, START_TIMEOUT_MS, type SandboxWorker } from './worker.ts';

export const IDLE_REAP_MS = 30_000;

/**
 * When callers find every worker busy, the pool grows one worker at a time, and only once callers have
 * kept waiting for GROW_AFTER_MS (see #growLater; a pool with no worker at all spawns at once), up to
 * limits.concurrency.
 *
 * One at a time because a spawn costs ~50-100 ms of CPU: growing by one worker per waiting caller ate
 * ~0.5 s of CPU at the start of a burst while callers waited. No longer capped at one worker per core,
 * as it was: extra processes do cost the workers more CPU per invocation, but the gateway is the
 * bottleneck and it pays less with more workers. Measured on 2 cores, examples/hello under 50
 * connections: with 2 workers the gateway spent ~253 µs of CPU per invocation and the workers ~70 µs
 * together; with 10, ~181 µs and ~102 µs, for ~35 % more throughput (docs/benchmarks.md). Likely cause: with two workers the other core idles
 * between invocations, and waking a task on an idle core is dear for the waker on a virtual machine
 * (the gateway's profile showed ~10 % in that wake-up path).
 */
export const GROW_AFTER_MS = 10;

export interface PoolOptions {
  name: string;
  warm: number;
  concurrency: number;
  queue: number;
  logger: Logger;
  /** Spawns a worker (not yet ready) whose onExit calls pool.workerExited. */
  spawn: (pool: WorkerPool) => Promise<SandboxWorker>;
  /** Whether the host takes one more worker (sandbox.maxWorkers, all pools together); a pool's first worker does not ask. */
  hostHasRoom: () => boolean;
  /** Told of every spawn once it is ready or has failed, with the seconds from spawn to that point (cold starts). */
  onStarted?: (seconds: number, ok: boolean) => void;
}

interface Waiter {
  resolve: (w: SandboxWorker) => void;
  reject: (err: unknown) => void;
}

export class WorkerPool {
  readonly name: string;
  /** Function versions served by this pool; 0 is a deploy candidate prepared before its number is known. */
  readonly versions = new Set<number>();
  lastUsed = Date.now();
  #opts: PoolOptions;
  #idle: Array<{ worker: SandboxWorker; since: number }> = [];
  #busy = new Set<SandboxWorker>();
  #all = new Set<SandboxWorker>();
  #starting = 0;
  #waiters: Waiter[] = [];
  #closed = false;
  /** After a failed spawn, warm-keeping waits for a caller, so a broken bundle is not respawned in a loop. */
  #warmPaused = false;
  /** Retired without failing callers: see drain(). */
  #draining = false;
  #growTimer: NodeJS.Timeout | undefined;
  /** When the last worker started by #growLater came up (or failed to). */
  #grownAt = 0;
  /** Since when callers have been waiting without a break (set when the first joins an empty queue). */
  #queuedSince = 0;
  /** Growth refused by sandbox.maxWorkers since the last time it was allowed (logged once per stretch). */
  #heldBackByHost = false;

  constructor(opts: PoolOptions) {
    this.name = opts.name;
    this.#opts = opts;
  }

  get busy(): number {
    return this.#busy.size;
  }

  /** Worker counts for metrics (ProcessSandbox.stats). */
  counts(): { busy: number; idle: number; starting: number; queued: number } {
    return { busy: this.#busy.size, idle: this.#idle.length, starting: this.#starting, queued: this.#waiters.length };
  }

  acquire(): Promise<SandboxWorker> {
    if (this.#closed || this.#draining) return Promise.reject(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [this.name], { why: 'pool closed' }));
    this.lastUsed = Date.now();
    this.#warmPaused = false;
    while (this.#idle.length > 0) {
      const { worker } = this.#idle.pop()!;
      if (worker.alive) {
        this.#busy.add(worker);
        return Promise.resolve(worker);
      }
    }
    if (this.#busy.size + this.#waiters.length >= this.#opts.concurrency + this.#opts.queue) {
      return Promise.reject(new BulwarkError('BWK_E_SANDBOX_POOL_FULL', [this.name]));
    }
    return new Promise<SandboxWorker>((resolve, reject) => {
      if (this.#waiters.length === 0) this.#queuedSince = performance.now();
      this.#waiters.push({ resolve, reject });
      this.fill();
    });
  }

  release(worker: SandboxWorker): void {
    this.#busy.delete(worker);
    if (worker.alive) this.#offer(worker);
    else this.fill();
  }

  workerExited(worker: SandboxWorker): void {
    // A worker killed for flooding or spinning while idle: its replacement would likely do the same
    // (a timer set at import), so warm-keeping waits for a caller, as after a failed start.
    if (worker.abusive) this.#warmPaused = true;
    this.#all.delete(worker);
    this.#busy.delete(worker);
    this.#idle = this.#idle.filter((i) => i.worker !== worker);
    this.fill();
  }

  #room(): boolean {
    const workers = this.#busy.size + this.#idle.length + this.#starting;
    if (workers >= this.#opts.concurrency) return false;
    if (workers === 0 || this.#opts.hostHasRoom()) {
      this.#heldBackByHost = false;
      return true;
    }
    if (!this.#heldBackByHost) {
      this.#heldBackByHost = true;
      this.#opts.logger.warn({ function: this.name, workers }, 'host worker ceiling (sandbox.maxWorkers) reached: this pool does not grow');
    }
    return false;
  }

  /**
   * Starts a worker for waiting callers when none exists (else see #growLater), then up to `warm`
   * workers. `warm` counts every worker, busy or idle: it is what an idle pool keeps for the next caller.
   * Counting only idle ones spawned a spare each time all workers were busy, i.e. under any load the
   * pool went straight to limits.concurrency whatever the queue did.
   */
  fill(): void {
    if (this.#closed) return;
    if (this.#draining) {
      // Queued callers wait for the busy workers; with none left (one crashed), nothing will serve them.
      if (this.#busy.size + this.#starting === 0) {
        for (const w of this.#waiters.splice(0)) w.reject(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [this.name], { why: 'pool retired' }));
      }
      return;
    }
    const workers = (): number => this.#busy.size + this.#idle.length + this.#starting;
    if (this.#waiters.length > 0 && workers() === 0) this.#spawnOne();
    if (this.#waiters.length > 0) this.#growLater();
    while (!this.#warmPaused && workers() < this.#opts.warm && this.#room()) this.#spawnOne();
  }

  /**
   * Spawns one more worker if callers keep waiting for GROW_AFTER_MS: counted from when the queue last
   * went from empty to waiting, or from when the last worker added came up, whichever is later, so a
   * new worker gets a full delay to drain the queue before the next is considered (one at a time:
   * spawning steals CPU from the workers that exist, which lengthens waits and would otherwise feed on
   * itself). Counted from the queue, not from the oldest caller in it: behind the gateway's concurrency
   * guard the pool's own queue turns over in a millisecond or two, so no single caller waits 10 ms in
   * it, yet a queue that never empties is a pool short of workers.
   */
  #growLater(): void {
    if (this.#growTimer !== undefined || this.#starting > 0 || this.#waiters.length === 0 || !this.#room()) return;
    const waited = performance.now() - Math.max(this.#queuedSince, this.#grownAt);
    this.#growTimer = setTimeout(() => {
      this.#growTimer = undefined;
      if (this.#closed || this.#starting > 0) return;
      const waiting = this.#waiters.length > 0;
      if (waiting && performance.now() - Math.max(this.#queuedSince, this.#grownAt) >= GROW_AFTER_MS && this.#room()) this.#spawnOne();
      else this.#growLater();
    }, Math.max(1, GROW_AFTER_MS - waited));
    this.#growTimer.unref();
  }

  #spawnOne(): void {
    this.#starting++;
    const spawnedAt = performance.now();
    const started = (ok: boolean) => this.#opts.onStarted?.((performance.now() - spawnedAt) / 1000, ok);
    this.#opts.spawn(this)
      .then(async (worker) => {
        this.#all.add(worker);
        await worker.started();
        return worker;
      })
      .then(
        (worker) => {
          this.#starting--;
          this.#grownAt = performance.now();
          started(true);
          this.#offer(worker);
          this.fill();
        },
        (err: unknown) => {
          this.#starting--;
          this.#grownAt = performance.now();
          started(false);
          this.#warmPaused = true;
          const waiter = this.#waiters.shift();
          if (waiter) waiter.reject(err);
          else this.#opts.logger.warn({ err, function: this.name }, 'warm worker failed to start');
          this.fill();
        },
      );
  }

  #offer(worker: SandboxWorker): void {
    if (this.#closed || !worker.alive) {
      worker.kill({ kind: this.#closed ? 'closed' : 'retired' });
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#busy.add(worker);
      waiter.resolve(worker);
    } else if (this.#draining) {
      worker.kill({ kind: 'retired' });
    } else {
      this.#idle.push({ worker, since: Date.now() });
    }
  }

  /** Stops idle workers beyond the warm count that have waited longer than IDLE_REAP_MS. */
  reap(now = Date.now()): void {
    let keep = this.#opts.warm;
    // Newest idle workers are at the end (LIFO reuse), so the oldest go first.
    for (let i = this.#idle.length - 1; i >= 0; i--) {
      const { worker, since } = this.#idle[i]!;
      if (keep > 0) { keep--; continue; }
      if (now - since > IDLE_REAP_MS) worker.kill({ kind: 'retired' });
    }
  }

  /**
   * Retires the pool without failing anyone: no new callers, idle workers stop now, busy ones once their
   * invocation ends (bounded by its timeout) and the callers already queued have been served. Resolves
   * when every worker is gone. A worker still starting is bounded by the worker's own start and load
   * timers; past them (plus a second) it is killed here as well, so a drain never waits forever on one.
   * close() still stops everything at once.
   */
  async drain(): Promise<void> {
    this.#draining = true;
    clearTimeout(this.#growTimer);
    for (const { worker } of this.#idle.splice(0)) worker.kill({ kind: 'retired' });
    this.fill();
    const startDeadline = performance.now() + START_TIMEOUT_MS + LOAD_TIMEOUT_MS + 1000;
    while (this.#all.size > 0 || this.#starting > 0) {
      if (this.#starting > 0 && performance.now() > startDeadline) {
        for (const w of this.#all) if (!this.#busy.has(w)) w.kill({ kind: 'retired' });
      }
      // Busy workers end with their invocation; starting ones are polled so the deadline is seen.
      if (this.#starting > 0) await new Promise((r) => setTimeout(r, 50));
      else await Promise.all([...this.#all].map((w) => w.exited));
    }
  }

  /**
   * Stops the pool: callers waiting for a worker are refused and idle workers stop now; busy ones get up
   * to `graceMs` to finish their invocation (a finished one stops at once, see #offer) and are then
   * killed, their callers failing with BWK_E_SANDBOX_UNAVAILABLE (a shutdown, not a crash).
   */
  async close(graceMs = 0): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#growTimer);
    for (const w of this.#waiters.splice(0)) w.reject(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [this.name], { why: 'pool closed' }));
    for (const { worker } of this.#idle.splice(0)) worker.kill({ kind: 'closed' });
    const busy = [...this.#busy];
    if (busy.length > 0 && graceMs > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(busy.map((w) => w.exited)), new Promise((r) => { timer = setTimeout(r, graceMs); })]);
      clearTimeout(timer);
    }
    const workers = [...this.#all];
    for (const w of workers) w.kill({ kind: 'closed' });
    await Promise.all(workers.map((w) => w.exited));
    // Workers still starting when close began are killed as they come up (#offer).
    while (this.#starting > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.#all].map((w) => w.exited));
  }
}
