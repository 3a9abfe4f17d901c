// Warm workers for one function bundle + runtime settings. Keeps `warm` idle workers ready, spawns more
// on demand up to limits.concurrency, queues at most limits.queue callers beyond that (a second line
// behind the gateway's concurrency guard), and lets extra idle workers go after IDLE_REAP_MS.

import { BulwarkError } from '../../../errors.ts';
import type { Logger } from '../../../telemetry/logger.ts';
import type { SandboxWorker } from './worker.ts';

export const IDLE_REAP_MS = 30_000;

export interface PoolOptions {
  name: string;
  warm: number;
  concurrency: number;
  queue: number;
  logger: Logger;
  /** Spawns a worker (not yet ready) whose onExit calls pool.workerExited. */
  spawn: (pool: WorkerPool) => Promise<SandboxWorker>;
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

  constructor(opts: PoolOptions) {
    this.name = opts.name;
    this.#opts = opts;
  }

  get busy(): number {
    return this.#busy.size;
  }

  acquire(): Promise<SandboxWorker> {
    if (this.#closed) return Promise.reject(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [this.name], { why: 'pool closed' }));
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
      return Promise.reject(new BulwarkError('BWK_E_GUARD_CONCURRENCY', [this.name]));
    }
    return new Promise<SandboxWorker>((resolve, reject) => {
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
    this.#all.delete(worker);
    this.#busy.delete(worker);
    this.#idle = this.#idle.filter((i) => i.worker !== worker);
    this.fill();
  }

  /** Starts workers for waiting callers, then up to the warm count. */
  fill(): void {
    if (this.#closed) return;
    const room = (): boolean => this.#busy.size + this.#idle.length + this.#starting < this.#opts.concurrency;
    while (this.#starting < this.#waiters.length && room()) this.#spawnOne();
    while (!this.#warmPaused && this.#idle.length + this.#starting < this.#opts.warm && room()) this.#spawnOne();
  }

  #spawnOne(): void {
    this.#starting++;
    this.#opts.spawn(this)
      .then(async (worker) => {
        this.#all.add(worker);
        await worker.started();
        return worker;
      })
      .then(
        (worker) => {
          this.#starting--;
          this.#offer(worker);
        },
        (err: unknown) => {
          this.#starting--;
          this.#warmPaused = true;
          const waiter = this.#waiters.shift();
          if (waiter) waiter.reject(err);
          else this.#opts.logger.warn({ err, function: this.name }, 'warm worker failed to start');
        },
      );
  }

  #offer(worker: SandboxWorker): void {
    if (this.#closed || !worker.alive) {
      worker.kill({ kind: 'retired' });
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#busy.add(worker);
      waiter.resolve(worker);
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

  async close(): Promise<void> {
    this.#closed = true;
    for (const w of this.#waiters.splice(0)) w.reject(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [this.name], { why: 'pool closed' }));
    const workers = [...this.#all];
    for (const w of workers) w.kill({ kind: 'retired' });
    await Promise.all(workers.map((w) => w.exited));
    // Workers still starting when close began are killed as they come up (#offer).
    while (this.#starting > 0) await new Promise((r) => setTimeout(r, 10));
    await Promise.all([...this.#all].map((w) => w.exited));
  }
}
