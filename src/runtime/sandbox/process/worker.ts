// One worker process and its lifecycle: spawn, the framed channel on fd 3, message dispatch, the
// per-invocation scratch dir, the timeout, and turning every way an invocation can end into exactly one
// result or BulwarkError. Its stdout/stderr are handled in output.ts, the RSS/scratch/idle-CPU watchdog
// in watchdog.ts.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { BulwarkError, isBulwarkError } from '../../../errors.ts';
import { publishSecurityEvent, type EventBus, type SecurityEvent } from '../../../bus/bus.ts';
import { Broker } from '../../broker/broker.ts';
import { writeFunctionLog } from '../../broker/function-log.ts';
import { LineReader, parseWorkerMessage, protocolError, type GatewayMessage, type WorkerMessage } from '../../broker/protocol.ts';
import type { CapabilityDeps, InvocationContext } from '../../capabilities/capability.ts';
import type { FunctionTarget, InvokeRequest } from '../sandbox.ts';
import type { WorkerCommand } from './command.ts';
import { WorkerOutput, type OutputOwner } from './output.ts';
import { TMPFS_EMPTY_DIR_SIZE, Watchdog } from './watchdog.ts';

export { IDLE_OUTPUT_BYTES, IDLE_OUTPUT_LINES } from './output.ts';
export { IDLE_CPU_MAX_MS } from './watchdog.ts';

/** Spawn to `loading` (the bootstrap set up, about to import the bundle) must take less than this. */
export const START_TIMEOUT_MS = 10_000;
/** `loading` to `ready`: importing the bundle (its top-level await included), as Lambda's init phase. */
export const LOAD_TIMEOUT_MS = 10_000;
/** `denied` frames taken while loading and per invocation (bootstrap.mjs sends at most as many). */
export const MAX_DENIED_FRAMES = 8;

export interface WorkerOptions {
  id: string;
  target: FunctionTarget;
  command: WorkerCommand;
  init: Extract<GatewayMessage, { t: 'init' }>;
  hostScratch: string;
  rssLimitBytes: number;
  /** Bytes the scratch root may hold (it is usually on tmpfs: RAM). */
  scratchQuotaBytes: number;
  maxFrameBytes: number;
  deps: CapabilityDeps;
  /** Called once when the process is gone, whatever the cause. */
  onExit: (worker: SandboxWorker) => void;
}

interface InFlight {
  id: string;
  inv: InvocationContext;
  /** `quiet`: the bootstrap says the invocation wrote no stdout/stderr (no end marks will come). */
  settle: (outcome: ({ value: unknown } | { error: BulwarkError }) & { quiet?: boolean }) => void;
}

/** `closed`: the sandbox is shutting down (WorkerPool.close); `retired`: the pool no longer needs the worker. */
export type KillReason = { kind: 'timeout' | 'memory' | 'protocol' | 'retired' | 'closed' | 'scratch' | 'idle'; why?: string };

export class SandboxWorker {
  readonly id: string;
  #opts: WorkerOptions;
  #child: ChildProcess;
  #channel: Socket;
  #pid: number | undefined;
  #loading = false;
  #ready = false;
  #dead = false;
  #killReason: KillReason | undefined;
  #current: InFlight | undefined;
  #output: WorkerOutput;
  #watchdog: Watchdog;
  /** `denied` frames since the last invocation started (or since spawn). */
  #deniedFrames = 0;
  /** The start timer (spawn to `loading`), then the load timer (`loading` to `ready`). */
  #startTimer: NodeJS.Timeout | undefined;
  /** Settles once the scratch root holds nothing from the previous invocation. */
  #scratchEmptied: Promise<void> = Promise.resolve();
  /** Security events published and not yet recorded (audit ledger commit, bus delivery). */
  readonly #publishing = new Set<Promise<void>>();
  #broker: Broker;
  #started: Promise<void>;
  /** Last target that ran here, for attributing output written between invocations. */
  #target: FunctionTarget;
  readonly spawnedAt = performance.now();
  /** Resolves when the process is gone and its scratch root removed. */
  readonly exited: Promise<void>;
  #exited: () => void = () => {};
  readyAfterMs: number | undefined;

  constructor(workerOptions: WorkerOptions) {
    // Everything this worker runs publishes through a bus that keeps what it published until it is
    // recorded: the broker's capability and egress events, the function-log leak events, the
    // watchdog's and this class's own. run() waits for them.
    const opts = { ...workerOptions, deps: { ...workerOptions.deps, bus: trackedBus(workerOptions.deps.bus, this.#publishing) } };
    this.id = opts.id;
    this.#opts = opts;
    this.#target = opts.target;
    this.#broker = new Broker(opts.deps);
    this.#watchdog = new Watchdog({
      id: opts.id,
      deps: opts.deps,
      pid: () => this.#pid,
      loading: () => this.#loading,
      ready: () => this.#ready,
      busy: () => this.#current !== undefined,
      alive: () => this.alive,
      target: () => this.#target,
      kill: (reason) => this.kill(reason),
      publish: (e) => this.#publish(e),
    }, opts);
    this.#output = new WorkerOutput({
      deps: opts.deps,
      target: () => this.#target,
      killed: () => this.#killReason !== undefined,
      overflow: (err) => this.#violation(err, 'idle'),
    });
    this.exited = new Promise<void>((resolve) => { this.#exited = resolve; });
    this.#child = spawn(opts.command.file, opts.command.args, {
      cwd: opts.command.cwd,
      env: {},
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
      detached: false,
    });
    this.#channel = this.#child.stdio[3] as Socket;
    this.#started = new Promise<void>((resolve, reject) => {
      this.#onReady = (err) => {
        clearTimeout(this.#startTimer);
        if (err) reject(err);
        else resolve();
      };
    });
    this.#startTimer = setTimeout(() => {
      this.#onReady(new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [opts.target.name], { why: 'worker did not start in time' }));
      this.kill({ kind: 'retired' });
    }, START_TIMEOUT_MS);
    this.#started.catch(() => {});
    this.#wire();
    this.#send(opts.init);
    // Memory and scratch are watched from spawn: a bundle's top-level code runs before `ready`. Until
    // `loading` the pid may be bwrap's; #findPid moves the watch to node then.
    this.#pid = this.#child.pid;
    this.#watchdog.watch();
  }

  #onReady: (err?: BulwarkError) => void = () => {};

  /** Resolves when the bundle is loaded and the worker waits for work. */
  started(): Promise<void> {
    return this.#started;
  }

  get alive(): boolean {
    return !this.#dead && this.#killReason === undefined;
  }

  /** Killed for what it did rather than retired or timed out: its pool stops keeping warm workers. */
  get abusive(): boolean {
    return this.#killReason?.kind === 'protocol' || this.#killReason?.kind === 'idle';
  }

  get pid(): number | undefined {
    return this.#pid;
  }

  #wire(): void {
    const reader = new LineReader(this.#opts.maxFrameBytes);
    this.#channel.on('data', (chunk: Buffer) => {
      if (this.#killReason) return;
      try {
        // A ready worker speaks only while an invocation runs: anything else on fd 3, even part of a
        // frame, is raw writes by user code (which would otherwise be buffered up to maxFrameBytes).
        if (this.#ready && !this.#current) throw protocolError('bytes on the channel while no invocation runs');
        for (const line of reader.push(chunk)) this.#onMessage(parseWorkerMessage(line));
        if (this.#ready && !this.#current && reader.buffered > 0) throw protocolError('bytes on the channel after the invocation ended');
      } catch (err) {
        this.#violation(err);
      }
    });
    this.#channel.on('error', () => {});
    this.#output.capture(this.#child.stdout!, 'info');
    this.#output.capture(this.#child.stderr!, 'error');
    this.#child.on('error', (err) => {
      this.#opts.deps.logger.error({ err, worker: this.id }, 'worker spawn failed');
      this.#onProcessExit(null, null);
    });
    this.#child.on('exit', (code, signal) => this.#onProcessExit(code, signal));
  }

  #send(msg: GatewayMessage): void {
    if (!this.#dead) this.#channel.write(`${JSON.stringify(msg)}\n`);
  }

  #onMessage(msg: WorkerMessage): void {
    const cur = this.#current;
    switch (msg.t) {
      case 'loading': {
        // Exactly once: each `loading` used to re-arm the load timer, so a bundle repeating it kept a
        // deploy waiting and its process alive forever.
        if (this.#loading || this.#ready) throw protocolError('second loading frame');
        this.#loading = true;
        clearTimeout(this.#startTimer);
        // The bootstrap runs in node now, so the process tree under bwrap is complete.
        this.#findPid();
        const t = this.#opts.target;
        this.#startTimer = setTimeout(() => {
          const why = `the bundle did not finish loading within ${LOAD_TIMEOUT_MS} ms (a top-level await that never settles?)`;
          writeFunctionLog(this.#opts.deps, { ...t, requestId: '-' }, 'error', why);
          this.#onReady(new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [t.name], { why }));
          this.kill({ kind: 'retired' });
        }, LOAD_TIMEOUT_MS);
        return;
      }
      case 'ready':
        if (this.#ready) throw protocolError('second ready');
        if (!this.#loading) throw protocolError('ready before loading');
        this.#ready = true;
        this.readyAfterMs = performance.now() - this.spawnedAt;
        this.#watchdog.openCpuCounter();
        this.#onReady();
        return;
      case 'load-error': {
        if (this.#ready) throw protocolError('load-error after ready');
        const t = this.#opts.target;
        writeFunctionLog(this.#opts.deps, { ...t, requestId: '-' }, 'error', `bundle failed to load: ${msg.message}`);
        this.#onReady(new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [t.name], { why: msg.message.split('\n')[0] }));
        this.kill({ kind: 'retired' });
        return;
      }
      case 'denied':
        // Raw writes to fd 3 can forge these at any rate: the bootstrap only sends them while loading or
        // during an invocation, and never more than MAX_DENIED_FRAMES each time.
        if (this.#ready && !cur) throw protocolError('denied frame while no invocation runs');
        if (++this.#deniedFrames > MAX_DENIED_FRAMES) throw protocolError(`more than ${MAX_DENIED_FRAMES} denied frames`);
        this.#permissionDenied(cur?.inv, msg.what);
        return;
      case 'cap': {
        if (!cur || msg.id !== cur.id) throw protocolError('capability call outside its invocation');
        const reply = this.#broker.call(cur.inv, msg.call, msg.cap, msg.args);
        // A notification (call 0) is answered with nothing: one pipe write less per log line.
        if (msg.call !== 0) void reply.then((r) => { if (this.#current === cur) this.#send(r); });
        return;
      }
      case 'result':
        if (!cur || msg.id !== cur.id) throw protocolError('result for another invocation');
        cur.settle({ value: msg.value, quiet: msg.quiet });
        return;
      case 'error': {
        if (!cur || msg.id !== cur.id) throw protocolError('error for another invocation');
        const name = cur.inv.target.name;
        const e = msg.error;
        writeFunctionLog(this.#opts.deps, { ...cur.inv.target, requestId: cur.inv.requestId }, 'error', e.stack || `${e.name}: ${e.message}`);
        if (e.code === 'ERR_ACCESS_DENIED' || /ERR_ACCESS_DENIED/.test(e.message) || /ERR_ACCESS_DENIED/.test(e.stack)) {
          this.#permissionDenied(cur.inv, e.message.slice(0, 200));
        }
        cur.settle({
          quiet: msg.quiet,
          error: msg.kind === 'bad-response'
            ? new BulwarkError('BWK_E_SANDBOX_BAD_RESPONSE', [name], { why: e.message })
            : new BulwarkError('BWK_E_SANDBOX_FUNCTION_ERROR', [name], { errorName: e.name }),
        });
        return;
      }
    }
  }

  #permissionDenied(inv: InvocationContext | undefined, what: string): void {
    const t = inv?.target ?? this.#target;
    writeFunctionLog(this.#opts.deps, { ...t, requestId: inv?.requestId ?? '-' }, 'warn', `sandbox denied: ${what}`);
    this.#publish({ type: 'sandbox.permission-denied', requestId: inv?.requestId, function: t.name, version: t.version, actor: inv?.actor, detail: { what, worker: this.id } });
  }

  #violation(err: unknown, kind: 'protocol' | 'idle' = 'protocol'): void {
    const why = isBulwarkError(err) ? String(err.detail?.why ?? err.message) : String(err);
    const t = this.#current?.inv.target ?? this.#target;
    this.#opts.deps.logger.warn({ worker: this.id, function: t.name, why }, 'sandbox protocol violation');
    this.#publish({ type: 'sandbox.protocol-violation', requestId: this.#current?.inv.requestId, function: t.name, version: t.version, detail: { why, worker: this.id } });
    this.kill({ kind, why });
  }

  #publish(e: Omit<SecurityEvent, 'at'>): void {
    // Not awaited here (exit and frame handlers are synchronous); the tracked bus lets run() wait instead.
    void publishSecurityEvent(this.#opts.deps.bus, this.#opts.deps.logger, e);
  }

  /**
   * Under bubblewrap the child is bwrap; the process to watch is the node at the bottom of its tree.
   * Called once, on `loading`: a few /proc reads, synchronous so no tick can watch the wrong process.
   */
  #findPid(): void {
    let pid = this.#child.pid;
    for (let depth = 0; pid !== undefined && depth < 4; depth++) {
      let kids = '';
      try { kids = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8'); } catch { /* gone */ }
      const first = kids.trim().split(/\s+/)[0];
      if (!first) break;
      pid = Number(first);
    }
    this.#pid = pid;
  }

  /** Runs one invocation. The worker must be idle and ready. */
  async run(target: FunctionTarget, req: InvokeRequest): Promise<unknown> {
    if (!this.alive || this.#current) throw new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [target.name], { why: 'worker not idle' });
    this.#target = target;
    const id = randomUUID();
    // The previous invocation's scratch must be gone before this one starts (see #emptyScratch).
    await this.#scratchEmptied;
    if (!this.alive) throw new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [target.name], { why: 'worker died before the invocation' });
    const timeoutMs = target.manifest.limits.timeoutMs;
    const inv: InvocationContext = { target, requestId: req.requestId, actor: req.actor, hop: req.caller?.hop ?? 0, startedAt: Date.now(), logLines: 0, logBytes: 0 };
    this.#deniedFrames = 0;
    this.#watchdog.runStarted();
    const owner: OutputOwner = { id, inv };
    this.#output.begin(owner);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        this.#current = {
          id, inv,
          settle: (outcome) => {
            if (this.#current?.id !== id) return;
            this.#current = undefined;
            this.#watchdog.runSettled();
            this.#output.end(owner, outcome.quiet === true);
            if ('error' in outcome) reject(outcome.error);
            else resolve(outcome.value);
          },
        };
        timer = setTimeout(() => this.kill({ kind: 'timeout' }), timeoutMs);
        const caller = req.caller && { function: req.caller.function, version: req.caller.version, requestId: req.caller.requestId };
        this.#send({ t: 'invoke', id, requestId: req.requestId, event: req.event, timeoutMs, tmpdir: `${this.#opts.command.inside.scratch}/${id}`, ...(caller ? { caller } : {}) });
      });
    } finally {
      clearTimeout(timer);
      this.#watchdog.afterRun();
      // Emptied after the response is on its way; the next run() waits for it. The bootstrap creates
      // the tmpdir and removes it when the function left it empty, so the usual cost here is one readdir.
      if (this.alive) this.#scratchEmptied = this.#emptyScratch();
      // The events this invocation caused (timeout, memory, crash, denials) are on record before its
      // caller hears how it ended: an answered request never outruns its audit record (docs/audit.md).
      if (this.#publishing.size > 0) await Promise.allSettled(this.#publishing);
    }
  }

  /** Everything under the scratch root goes, not only the tmpdir: it was all writable. */
  async #emptyScratch(): Promise<void> {
    try {
      // Synchronous on purpose: checking an (almost always empty) local directory takes a few µs, the
      // thread-pool round trip of the async call ~60 µs, and this runs once per invocation. On tmpfs
      // (the default scratch) one stat says it: the kernel keeps a directory's size at 20 bytes per
      // entry, "." and ".." included, so an empty one is exactly 40, whatever the worker did.
      if (this.#watchdog.scratchOnTmpfs && statSync(this.#opts.hostScratch).size === TMPFS_EMPTY_DIR_SIZE) return;
      const entries = readdirSync(this.#opts.hostScratch);
      if (entries.length === 0) return;
      // What a short invocation wrote between two watchdog ticks is measured here, before it goes.
      if (!(await this.#watchdog.scratchWithinQuota(false))) return;
      await Promise.all(entries.map((e) => rm(join(this.#opts.hostScratch, e), { recursive: true, force: true })));
    } catch (err) {
      // Something the function left cannot be removed: never reuse this worker.
      this.#opts.deps.logger.warn({ err, worker: this.id }, 'scratch cleanup failed; retiring worker');
      this.kill({ kind: 'scratch' });
    }
  }

  kill(reason: KillReason): void {
    if (this.#dead) return;
    this.#killReason ??= reason;
    this.#child.kill('SIGKILL');
    if (this.#pid !== undefined && this.#pid !== this.#child.pid) {
      try { process.kill(this.#pid, 'SIGKILL'); } catch { /* already gone */ }
    }
  }

  #onProcessExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#dead) return;
    this.#dead = true;
    this.#watchdog.stop();
    clearTimeout(this.#startTimer);
    this.#channel.destroy();
    const reason = this.#killReason;
    const cur = this.#current;
    const t = cur?.inv.target ?? this.#target;
    if (!this.#ready) {
      // Killed for what the bundle did while loading (memory, scratch, output, frames): the bundle is
      // at fault, so a deploy is refused as for any load failure.
      const byBundle = reason?.kind === 'memory' || reason?.kind === 'protocol' || reason?.kind === 'idle';
      this.#onReady(byBundle
        ? new BulwarkError('BWK_E_SANDBOX_LOAD_FAILED', [t.name], { why: `killed while loading: ${reason.why ?? reason.kind}` })
        : new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [t.name], { why: `worker exited before ready (code ${code}, signal ${signal})` }));
    }
    if (cur) {
      const base = { requestId: cur.inv.requestId, function: t.name, version: t.version, actor: cur.inv.actor };
      let error: BulwarkError;
      if (reason?.kind === 'timeout') {
        error = new BulwarkError('BWK_E_SANDBOX_TIMEOUT', [t.name, t.manifest.limits.timeoutMs]);
        this.#publish({ type: 'sandbox.timeout', ...base, detail: { timeoutMs: t.manifest.limits.timeoutMs } });
      } else if (reason?.kind === 'memory' || this.#output.oomSeen) {
        error = new BulwarkError('BWK_E_SANDBOX_MEMORY', [t.name], { why: reason?.why ?? 'V8 heap limit' });
        this.#publish({ type: 'sandbox.memory-exceeded', ...base, detail: { memoryMb: t.manifest.limits.memoryMb, why: reason?.why ?? 'heap' } });
      } else if (reason?.kind === 'protocol') {
        error = new BulwarkError('BWK_E_BROKER_PROTOCOL', [t.name], { why: reason.why });
      } else if (reason?.kind === 'closed') {
        // Stopped by the shutdown after its grace period: nothing the function did, so no security event.
        error = new BulwarkError('BWK_E_SANDBOX_UNAVAILABLE', [t.name], { why: 'the sandbox closed (gateway shutdown) before the invocation ended' });
      } else {
        error = new BulwarkError('BWK_E_SANDBOX_CRASHED', [t.name], { code, signal });
        this.#publish({ type: 'sandbox.crashed', ...base, detail: { code, signal } });
      }
      writeFunctionLog(this.#opts.deps, { ...t, requestId: cur.inv.requestId }, 'error', `worker ended: ${error.code}`);
      cur.settle({ error });
    }
    this.#opts.onExit(this);
    void rm(this.#opts.hostScratch, { recursive: true, force: true }).finally(() => this.#exited());
  }
}

/**
 * `bus` with every publish kept in `pending` until it settles (a failed publish is the publisher's to
 * report: publishSecurityEvent logs it).
 */
function trackedBus(bus: EventBus, pending: Set<Promise<void>>): EventBus {
  return {
    kind: bus.kind,
    publish(topic, event) {
      const published = bus.publish(topic, event);
      pending.add(published);
      published.then(() => pending.delete(published), () => pending.delete(published));
      return published;
    },
    subscribe: (topic, handler) => bus.subscribe(topic, handler),
    publishMessage: (message) => bus.publishMessage(message),
    subscribeMessages: (subject, handler) => bus.subscribeMessages(subject, handler),
    close: () => bus.close(),
  };
}
