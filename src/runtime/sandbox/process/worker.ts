// One worker process and everything the gateway does around it: spawn, the framed channel on fd 3,
// stdout/stderr into the function log, the RSS/scratch/idle-CPU watchdog, the per-invocation scratch
// dir, the timeout, and turning every way an invocation can end into exactly one result or BulwarkError.

import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { lstat, readdir, readFile, rm } from 'node:fs/promises';
import { closeSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Socket } from 'node:net';
import { BulwarkError, isBulwarkError } from '../../../errors.ts';
import { publishSecurityEvent, type SecurityEvent } from '../../../bus/bus.ts';
import { Broker } from '../../broker/broker.ts';
import { writeFunctionLog } from '../../broker/function-log.ts';
import { MAX_BYTES_PER_INVOCATION, MAX_LINES_PER_INVOCATION } from '../../capabilities/log.ts';
import { LineReader, parseWorkerMessage, protocolError, type GatewayMessage, type WorkerMessage } from '../../broker/protocol.ts';
import type { CapabilityDeps, InvocationContext } from '../../capabilities/capability.ts';
import type { FunctionTarget, InvokeRequest } from '../sandbox.ts';
import type { WorkerCommand } from './command.ts';

/** Spawn to `loading` (the bootstrap set up, about to import the bundle) must take less than this. */
export const START_TIMEOUT_MS = 10_000;
/** `loading` to `ready`: importing the bundle (its top-level await included), as Lambda's init phase. */
export const LOAD_TIMEOUT_MS = 10_000;
/**
 * The watchdog ticks every WATCH_MS. A tick reads resident size, walks the scratch root and scans the
 * open descriptors (~200 µs in all), except while the worker is idle and has used no CPU since the last
 * full tick: then it is one pread of /proc/<pid>/stat (~7 µs), and the full tick comes at least every
 * WATCH_IDLE_MS. Writing to tmpfs takes CPU (~3 GiB/s here), so a worker filling scratch while idle
 * moves the counter and gets a full tick at the next WATCH_MS: busy or idle, scratch can overshoot its
 * quota by what is written in about one tick (~150 MiB at that rate) before the worker is killed.
 */
const WATCH_MS = 50;
const WATCH_IDLE_MS = 1000;
/**
 * CPU a worker may use per second of idle time. Work a handler left running after it returned would
 * make the next caller wait on a spinning worker. Judged by the watchdog over windows of at least
 * WATCH_IDLE_MS: the CPU the process used (utime + stime from /proc/<pid>/stat) minus what serving
 * can explain — the wall time of its invocations plus HELPER_THREADS_SHARE of it for V8's GC and
 * compiler threads — must stay under this rate over the window's idle time. The counter is read
 * only on watchdog ticks: reading it around every invocation cost ~25 µs of gateway CPU each under load.
 */
export const IDLE_CPU_MAX_MS = 300;
const HELPER_THREADS_SHARE = 0.5;
const MAX_OUTPUT_LINE = 8 * 1024;
/** Raw stdout/stderr kept per invocation; the rest is dropped (the log capability has the same caps). */
const MAX_OUTPUT_LINES = MAX_LINES_PER_INVOCATION;
/**
 * stdout/stderr a worker may write while no invocation runs (loading, or between invocations) before
 * it is killed as a protocol violation: a timer left running must not flood the log. Reset by each
 * invocation. Output of the invocation itself that is still in the pipe when the result frame arrives
 * is not idle: see OUTPUT_END_MARK.
 */
export const IDLE_OUTPUT_LINES = 200;
export const IDLE_OUTPUT_BYTES = 64 * 1024;
/** `denied` frames taken while loading and per invocation (bootstrap.mjs sends at most as many). */
export const MAX_DENIED_FRAMES = 8;
/**
 * The bootstrap writes this plus the invocation id as a line to stdout and to stderr right before the
 * result frame (pipe writes are synchronous on Linux, so everything the invocation wrote is ahead of
 * it). stdout/stderr and fd 3 are separate pipes read in no fixed order: until the mark arrives on a
 * pipe, what comes on it is charged to the invocation, not to the idle budget. A forged mark can only
 * make the worker's own later output count as idle. Marks never reach the log.
 */
const OUTPUT_END_MARK = '\u0000bwk:end:';
/** If a mark never comes (user code broke process.stdout), output stops counting as the invocation's after this. */
const OUTPUT_GRACE_MS = 1000;
/** Each scratch entry counts at least this much, so a flood of empty files is charged too. */
const SCRATCH_ENTRY_MIN_BYTES = 1024;
/** Linux reports utime/stime in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MS_PER_TICK = 10;
const OOM_SIGNATURE = /Reached heap limit|JavaScript heap out of memory|Allocation failed/;
/** One /proc/<pid>/stat line (well under 1 KiB); reused, as samples never overlap. */
const STAT_BUFFER = Buffer.alloc(1024);

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
  settle: (outcome: { value: unknown } | { error: BulwarkError }) => void;
}

type KillReason = { kind: 'timeout' | 'memory' | 'protocol' | 'retired' | 'scratch' | 'idle'; why?: string };
type OutputLevel = 'info' | 'error';
/** The invocation the output on one pipe is charged to. */
interface OutputOwner { id: string; inv: InvocationContext }

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
  #oomSeen = false;
  #current: InFlight | undefined;
  /** Invocations started, so the watchdog knows whether an open scratch file outlived one. */
  #runs = 0;
  /** /proc/<pid>/stat of the node process, kept open: one pread per sample (~7 µs). */
  #statFd: number | undefined;
  /** Wall time spent in invocations, and when the one in flight started: the CPU check's busy side. */
  #busyMs = 0;
  #runStartedAt: number | undefined;
  /** CPU ticks, time and busy time where the window the CPU check judges began. */
  #cpuWindow: { ticks: number; at: number; busyMs: number } | undefined;
  /** Unlinked scratch files held open (`fd:inode`) and #runs when the watchdog first saw each. */
  #heldSeen = new Map<string, number>();
  /** A kill the watchdog decided during an invocation, done when it ends so its caller is not failed. */
  #afterRun: (() => void) | undefined;
  #scratchDev: number;
  /**
   * Per pipe, the invocations whose output may still be in it, oldest first (see OUTPUT_END_MARK): the
   * next invocation can start before the previous one's mark was read. Empty: output is idle output.
   */
  #outputOwners: Record<OutputLevel, OutputOwner[]> = { info: [], error: [] };
  /** Output and `denied` frames since the last invocation started (or since spawn). */
  #idleLines = 0;
  #idleBytes = 0;
  #deniedFrames = 0;
  /** The start timer (spawn to `loading`), then the load timer (`loading` to `ready`). */
  #startTimer: NodeJS.Timeout | undefined;
  /** Settles once the scratch root holds nothing from the previous invocation. */
  #scratchEmptied: Promise<void> = Promise.resolve();
  #broker: Broker;
  #watchTimer: NodeJS.Timeout | undefined;
  /** CPU ticks and time at the last full watchdog tick. */
  #lastFullTick = { ticks: -1, at: 0 };
  #started: Promise<void>;
  /** Last target that ran here, for attributing output written between invocations. */
  #target: FunctionTarget;
  readonly spawnedAt = performance.now();
  /** Resolves when the process is gone and its scratch root removed. */
  readonly exited: Promise<void>;
  #exited: () => void = () => {};
  readyAfterMs: number | undefined;

  constructor(opts: WorkerOptions) {
    this.id = opts.id;
    this.#opts = opts;
    this.#target = opts.target;
    this.#broker = new Broker(opts.deps);
    this.#scratchDev = statSync(opts.hostScratch).dev;
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
    this.#watch();
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
    this.#captureOutput(this.#child.stdout!, 'info');
    this.#captureOutput(this.#child.stderr!, 'error');
    this.#child.on('error', (err) => {
      this.#opts.deps.logger.error({ err, worker: this.id }, 'worker spawn failed');
      this.#onProcessExit(null, null);
    });
    this.#child.on('exit', (code, signal) => this.#onProcessExit(code, signal));
  }

  #captureOutput(stream: NodeJS.ReadableStream, level: OutputLevel): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0 || pending.length > MAX_OUTPUT_LINE) {
        const end = nl >= 0 && nl <= MAX_OUTPUT_LINE ? nl : MAX_OUTPUT_LINE;
        const line = pending.slice(0, end);
        pending = pending.slice(nl === end ? end + 1 : end);
        this.#outputLine(line, level);
      }
    });
    stream.on('end', () => { if (pending) this.#outputLine(pending, level); });
  }

  #outputLine(line: string, level: OutputLevel): void {
    if (level === 'error' && OOM_SIGNATURE.test(line)) this.#oomSeen = true;
    const owners = this.#outputOwners[level];
    const mark = line.startsWith(OUTPUT_END_MARK);
    if (mark) {
      const ended = owners.findIndex((o) => line === OUTPUT_END_MARK + o.id);
      if (ended >= 0) {
        owners.splice(0, ended + 1);
        return;
      }
    }
    const cur = owners[0]?.inv;
    if (cur) {
      cur.logLines++;
      cur.logBytes += line.length + 1;
      if (cur.logLines > MAX_OUTPUT_LINES || cur.logBytes > MAX_BYTES_PER_INVOCATION) return;
    } else {
      if (this.#killReason) return;
      this.#idleLines++;
      this.#idleBytes += line.length + 1;
      if (this.#idleLines > IDLE_OUTPUT_LINES || this.#idleBytes > IDLE_OUTPUT_BYTES) {
        this.#violation(protocolError(`output while no invocation runs beyond ${IDLE_OUTPUT_LINES} lines or ${IDLE_OUTPUT_BYTES} bytes`), 'idle');
        return;
      }
    }
    if (mark || line.trim() === '') return;
    writeFunctionLog(this.#opts.deps, { ...(cur?.target ?? this.#target), requestId: cur?.requestId ?? '-' }, level, line);
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
        try { this.#statFd = openSync(`/proc/${this.#pid}/stat`, 'r'); } catch { /* gone: the exit handler follows */ }
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
        cur.settle({ value: msg.value });
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

  // Buffers and other external memory escape --max-old-space-size, so resident size is checked too.
  #watch(): void {
    if (this.#dead || this.#pid === undefined) return;
    this.#watchTimer = setTimeout(() => {
      this.#tick().then((go) => { if (go) this.#watch(); }, () => {});
    }, WATCH_MS);
    this.#watchTimer.unref();
  }

  /** See WATCH_MS: a full inspection unless the worker is idle, quiet and was inspected recently. */
  #tick(): Promise<boolean> {
    const ticks = this.#cpuTicks() ?? -1;
    const now = performance.now();
    const quiet = this.#ready && !this.#current && ticks !== -1 && ticks === this.#lastFullTick.ticks;
    if (quiet && now - this.#lastFullTick.at < WATCH_IDLE_MS) return Promise.resolve(this.alive);
    this.#lastFullTick = { ticks, at: now };
    return this.#inspect();
  }

  /** One watchdog tick: resident size, scratch usage, and CPU burnt while idle. False once the worker is killed or gone. */
  async #inspect(): Promise<boolean> {
    const status = await readFile(`/proc/${this.#pid}/status`, 'utf8');
    const m = /VmRSS:\s+(\d+) kB/.exec(status);
    if (m && Number(m[1]) * 1024 > this.#opts.rssLimitBytes) {
      this.#killForMemory(`rss ${m[1]} kB`);
      return false;
    }
    if (!(await this.#scratchWithinQuota(true))) return false;
    if (!this.#ready) return this.alive;
    const ticks = this.#cpuTicks();
    if (ticks === undefined) return this.alive;
    const now = performance.now();
    const busy = this.#busyMs + (this.#runStartedAt === undefined ? 0 : now - this.#runStartedAt);
    const w = this.#cpuWindow;
    if (!w || now - w.at < WATCH_IDLE_MS) {
      this.#cpuWindow ??= { ticks, at: now, busyMs: busy };
      return this.alive;
    }
    this.#cpuWindow = { ticks, at: now, busyMs: busy };
    const busyMs = busy - w.busyMs;
    const idleMs = Math.max(0, Math.round(now - w.at - busyMs));
    const usedMs = Math.round((ticks - w.ticks) * MS_PER_TICK - busyMs * (1 + HELPER_THREADS_SHARE));
    // Scaled to the idle time that really passed (a gateway too busy to tick on time must not make light
    // background work look like a spin), plus two clock ticks for the counter's resolution.
    const allowedMs = IDLE_CPU_MAX_MS * (idleMs / 1000) + 2 * MS_PER_TICK;
    if (usedMs <= allowedMs) return this.alive;
    const replace = (): void => {
      const t = this.#target;
      const why = `${usedMs} ms of CPU in ${idleMs} ms idle (work left running after the handler returned)`;
      this.#opts.deps.logger.warn({ worker: this.id, function: t.name, why }, 'worker busy while idle; replacing it');
      writeFunctionLog(this.#opts.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
      this.#publish({ type: 'sandbox.timeout', function: t.name, version: t.version, detail: { idle: true, cpuMs: usedMs, idleMs, worker: this.id } });
      this.kill({ kind: 'idle', why });
    };
    if (!this.#current) {
      replace();
      return false;
    }
    this.#afterRun ??= replace;
    return this.alive;
  }

  /** utime + stime of the node process in clock ticks; undefined before `ready` or once it is gone. */
  #cpuTicks(): number | undefined {
    if (this.#statFd === undefined) return undefined;
    try {
      const n = readSync(this.#statFd, STAT_BUFFER, 0, STAT_BUFFER.length, 0);
      const stat = STAT_BUFFER.toString('latin1', 0, n);
      // Fields after the parenthesised command name: state is field 3, utime 14 and stime 15.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      return Number(fields[11]) + Number(fields[12]);
    } catch {
      return undefined;
    }
  }

  /**
   * Kills the worker over its memory limit (RSS or scratch). During an invocation the caller gets
   * BWK_E_SANDBOX_MEMORY and the event is published on exit; while idle the event is published here.
   */
  #killForMemory(why: string): void {
    if (!this.#current && this.alive) {
      const t = this.#target;
      writeFunctionLog(this.#opts.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
      this.#publish({ type: 'sandbox.memory-exceeded', function: t.name, version: t.version, detail: { memoryMb: t.manifest.limits.memoryMb, why, idle: true, worker: this.id } });
    }
    this.kill({ kind: 'memory', why });
  }

  /**
   * Scratch is on tmpfs (RAM) by default and has no file-system quota, so its size counts against the
   * function's memory: over scratchQuotaBytes the worker is killed. Usually the root is empty or holds
   * one empty tmpdir, so the walk is one or two readdirs. `withHeld` (watchdog ticks) adds the unlinked
   * scratch files the worker still holds open, which no directory lists (~150 µs: see #heldScratchFiles).
   */
  async #scratchWithinQuota(withHeld: boolean): Promise<boolean> {
    const { bytes: held, outlived } = withHeld ? this.#heldScratchFiles() : { bytes: 0, outlived: false };
    const used = held + await scratchUsage(this.#opts.hostScratch, this.#opts.scratchQuotaBytes - held);
    if (used > this.#opts.scratchQuotaBytes) {
      this.#killForMemory(`scratch holds more than ${this.#opts.scratchQuotaBytes} bytes${held > 0 ? ` (${held} in unlinked files held open)` : ''}`);
      return false;
    }
    if (outlived && this.alive) {
      if (this.#current) this.#afterRun ??= () => this.#retireForHeldFile();
      else this.#retireForHeldFile();
    }
    return this.alive;
  }

  /**
   * Bytes allocated to regular files on the scratch file system that the worker holds open and that no
   * directory lists any more: unlinked by the function (open, unlink, keep writing: invisible to the
   * walk) or removed by the gateway after an invocation. Found through /proc/<pid>/fd: a readlink per
   * descriptor and a stat (through the link, so the real file) for those that are paths, ~150 µs for
   * node's ~20 descriptors, hence per tick and not per invocation.
   *
   * Such a file also outlives the invocation that opened it, and the next invocation on this worker
   * could read it: the worker is replaced as soon as one is seen while idle or in a later invocation
   * than the one it was first seen in (after that invocation ends, so its caller is not failed).
   */
  #heldScratchFiles(): { bytes: number; outlived: boolean } {
    const none = { bytes: 0, outlived: false };
    if (!this.#loading) return none;
    const dir = `/proc/${this.#pid}/fd`;
    let names: string[];
    try { names = readdirSync(dir); } catch { return none; }
    const sizes = new Map<number, number>();
    const seen = new Map<string, number>();
    let outlived = false;
    for (const name of names) {
      let st;
      try {
        // Sockets, pipes and anon inodes read as `type:[n]`; only paths can be files.
        if (!readlinkSync(`${dir}/${name}`).startsWith('/')) continue;
        st = statSync(`${dir}/${name}`);
      } catch { continue; }
      if (!st.isFile() || st.dev !== this.#scratchDev || st.nlink !== 0) continue;
      sizes.set(st.ino, st.blocks * 512);
      const key = `${name}:${st.ino}`;
      const first = this.#heldSeen.get(key) ?? this.#runs;
      seen.set(key, first);
      if (this.#ready && (!this.#current || first !== this.#runs)) outlived = true;
    }
    this.#heldSeen = seen;
    let bytes = 0;
    for (const size of sizes.values()) bytes += size;
    return { bytes, outlived };
  }

  #retireForHeldFile(): void {
    const t = this.#target;
    const why = 'an unlinked scratch file is still open after its invocation ended';
    this.#opts.deps.logger.warn({ worker: this.id, function: t.name, why }, 'replacing worker');
    writeFunctionLog(this.#opts.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
    this.kill({ kind: 'scratch', why });
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
    const inv: InvocationContext = { target, requestId: req.requestId, actor: req.actor, logLines: 0, logBytes: 0 };
    this.#runs++;
    this.#idleLines = 0;
    this.#idleBytes = 0;
    this.#deniedFrames = 0;
    this.#runStartedAt = performance.now();
    const owner: OutputOwner = { id, inv };
    this.#outputOwners.info.push(owner);
    this.#outputOwners.error.push(owner);
    let timer: NodeJS.Timeout | undefined;
    try {
      return await new Promise<unknown>((resolve, reject) => {
        this.#current = {
          id, inv,
          settle: (outcome) => {
            if (this.#current?.id !== id) return;
            this.#current = undefined;
            this.#busyMs += performance.now() - (this.#runStartedAt ?? performance.now());
            this.#runStartedAt = undefined;
            setTimeout(() => {
              for (const owners of Object.values(this.#outputOwners)) {
                const i = owners.indexOf(owner);
                if (i >= 0) owners.splice(i, 1);
              }
            }, OUTPUT_GRACE_MS).unref();
            if ('error' in outcome) reject(outcome.error);
            else resolve(outcome.value);
          },
        };
        timer = setTimeout(() => this.kill({ kind: 'timeout' }), timeoutMs);
        this.#send({ t: 'invoke', id, requestId: req.requestId, event: req.event, timeoutMs, tmpdir: `${this.#opts.command.inside.scratch}/${id}` });
      });
    } finally {
      clearTimeout(timer);
      const afterRun = this.#afterRun;
      this.#afterRun = undefined;
      afterRun?.();
      // Emptied after the response is on its way; the next run() waits for it. The bootstrap creates
      // the tmpdir and removes it when the function left it empty, so the usual cost here is one readdir.
      if (this.alive) this.#scratchEmptied = this.#emptyScratch();
    }
  }

  /** Everything under the scratch root goes, not only the tmpdir: it was all writable. */
  async #emptyScratch(): Promise<void> {
    try {
      // Synchronous on purpose: listing an (almost always empty) local directory takes ~6 µs, the
      // thread-pool round trip of the async call ~60 µs, and this runs once per invocation.
      const entries = readdirSync(this.#opts.hostScratch);
      if (entries.length === 0) return;
      // What a short invocation wrote between two watchdog ticks is measured here, before it goes.
      if (!(await this.#scratchWithinQuota(false))) return;
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
    clearTimeout(this.#watchTimer);
    clearTimeout(this.#startTimer);
    if (this.#statFd !== undefined) closeSync(this.#statFd);
    this.#statFd = undefined;
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
      } else if (reason?.kind === 'memory' || this.#oomSeen) {
        error = new BulwarkError('BWK_E_SANDBOX_MEMORY', [t.name], { why: reason?.why ?? 'V8 heap limit' });
        this.#publish({ type: 'sandbox.memory-exceeded', ...base, detail: { memoryMb: t.manifest.limits.memoryMb, why: reason?.why ?? 'heap' } });
      } else if (reason?.kind === 'protocol') {
        error = new BulwarkError('BWK_E_BROKER_PROTOCOL', [t.name], { why: reason.why });
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
 * Bytes allocated under `root` (st_blocks, so sparse files count what they really use; every entry at
 * least SCRATCH_ENTRY_MIN_BYTES). Stops counting once past `limit`.
 */
async function scratchUsage(root: string, limit: number): Promise<number> {
  let total = 0;
  const dirs = [root];
  while (dirs.length > 0 && total <= limit) {
    const dir = dirs.pop()!;
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (let i = 0; i < entries.length && total <= limit; i += 64) {
      const batch = entries.slice(i, i + 64);
      const sizes = await Promise.all(batch.map(async (e) => {
        const path = join(dir, e.name);
        if (e.isDirectory()) dirs.push(path);
        const st = await lstat(path).catch(() => undefined);
        return Math.max(SCRATCH_ENTRY_MIN_BYTES, st ? st.blocks * 512 : 0);
      }));
      for (const s of sizes) total += s;
    }
  }
  return total;
}
