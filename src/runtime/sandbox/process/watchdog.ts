// The watchdog of one worker process, apart from its lifecycle: V8's heap flag does not bound what a
// function really uses (Buffers, scratch on tmpfs, files unlinked but held open) nor work it leaves
// running after it returned, so the gateway samples the process from outside and kills it when over.
// Owns the tick scheduling, the /proc reads and the decisions; the worker owns the kill itself.

import { readdir, lstat } from 'node:fs/promises';
import { closeSync, lstatSync, opendirSync, openSync, readdirSync, readSync, statfsSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { SecurityEvent } from '../../../bus/bus.ts';
import { writeFunctionLog } from '../../broker/function-log.ts';
import type { CapabilityDeps } from '../../capabilities/capability.ts';
import type { FunctionTarget } from '../sandbox.ts';
import type { KillReason } from './worker.ts';

/**
 * The watchdog ticks every WATCH_MS. A tick reads resident size, walks the scratch root and scans the
 * open descriptors, except while the worker is idle and has used no CPU since the last full tick: then
 * it is one pread of /proc/<pid>/stat (~7 µs), and the full tick comes at least every WATCH_IDLE_MS.
 * Under load every worker is busy, so every worker gets a full tick every WATCH_MS: its cost is paid
 * 20 times a second per worker on the gateway's main thread, whatever the request rate. It is therefore
 * kept to synchronous calls on descriptors held open or on a few tmpfs entries (one system call each,
 * no thread-pool round trip), about 25 system calls for node's ~20 descriptors. Writing to tmpfs takes
 * CPU (~3 GiB/s here), so a worker filling scratch while idle moves the counter and gets a full tick at
 * the next WATCH_MS: busy or idle, scratch can overshoot its quota by what is written in about one tick
 * (~150 MiB at that rate) before the worker is killed.
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
/** Each scratch entry counts at least this much, so a flood of empty files is charged too. */
const SCRATCH_ENTRY_MIN_BYTES = 1024;
/** Linux reports utime/stime in USER_HZ ticks, 100 per second on every mainstream architecture. */
const MS_PER_TICK = 10;
/** One /proc/<pid>/stat line (well under 1 KiB); reused, as samples never overlap. */
const STAT_BUFFER = Buffer.alloc(1024);
/** /proc/<pid>/status (about 1.5 KiB; VmRSS is in its first half); reused likewise. */
const STATUS_BUFFER = Buffer.alloc(4096);
/**
 * statfs(2) f_type of tmpfs. On tmpfs a directory's size is TMPFS_DIRENT_SIZE bytes per entry, "." and
 * ".." included, so an empty one is exactly TMPFS_EMPTY_DIR_SIZE and the number of entries is known
 * before the directory is read.
 */
const TMPFS_MAGIC = 0x01021994;
const TMPFS_DIRENT_SIZE = 20;
export const TMPFS_EMPTY_DIR_SIZE = 2 * TMPFS_DIRENT_SIZE;
/** A scratch tree of at most this many entries is walked synchronously; a larger one through the thread pool. */
const SYNC_WALK_ENTRIES = 64;

/** What the watchdog reads from and does to its worker. */
export interface WatchdogHost {
  readonly id: string;
  readonly deps: CapabilityDeps;
  /** The process to watch: bwrap's until `loading`, then the node at the bottom of its tree. */
  pid(): number | undefined;
  /** The bootstrap said `loading` (it runs in node, so pid() is final). */
  loading(): boolean;
  ready(): boolean;
  /** An invocation is in flight. */
  busy(): boolean;
  alive(): boolean;
  /** Last target that ran here, for attributing a replacement. */
  target(): FunctionTarget;
  kill(reason: KillReason): void;
  publish(e: Omit<SecurityEvent, 'at'>): void;
}

export interface WatchdogLimits {
  hostScratch: string;
  rssLimitBytes: number;
  /** Bytes the scratch root may hold (it is usually on tmpfs: RAM). */
  scratchQuotaBytes: number;
}

export class Watchdog {
  #host: WatchdogHost;
  #limits: WatchdogLimits;
  #scratchDev: number;
  /** The scratch root is on tmpfs (see TMPFS_MAGIC); the worker's own scratch check reads it too. */
  readonly scratchOnTmpfs: boolean;
  #stopped = false;
  /** Invocations started, so the watchdog knows whether an open scratch file outlived one. */
  #runs = 0;
  /** /proc/<pid>/stat of the node process, kept open: one pread per sample (~7 µs). */
  #statFd: number | undefined;
  /** /proc/<pid>/status of the watched process (bwrap's until `loading`, then node's), kept open likewise. */
  #statusFile: { pid: number; fd: number } | undefined;
  /** Wall time spent in invocations, and when the one in flight started: the CPU check's busy side. */
  #busyMs = 0;
  #runStartedAt: number | undefined;
  /** CPU ticks, time and busy time where the window the CPU check judges began. */
  #cpuWindow: { ticks: number; at: number; busyMs: number } | undefined;
  /** Unlinked scratch files held open (`fd:inode`) and #runs when the watchdog first saw each. */
  #heldSeen = new Map<string, number>();
  /** A kill the watchdog decided during an invocation, done when it ends so its caller is not failed. */
  #afterRun: (() => void) | undefined;
  #watchTimer: NodeJS.Timeout | undefined;
  /** CPU ticks and time at the last full watchdog tick. */
  #lastFullTick = { ticks: -1, at: 0 };

  constructor(host: WatchdogHost, limits: WatchdogLimits) {
    this.#host = host;
    this.#limits = limits;
    this.#scratchDev = statSync(limits.hostScratch).dev;
    this.scratchOnTmpfs = statfsSync(limits.hostScratch).type === TMPFS_MAGIC;
  }

  // Buffers and other external memory escape --max-old-space-size, so resident size is checked too.
  watch(): void {
    if (this.#stopped || this.#host.pid() === undefined) return;
    this.#watchTimer = setTimeout(() => {
      this.#tick().then((go) => { if (go) this.watch(); }, () => {});
    }, WATCH_MS);
    this.#watchTimer.unref();
  }

  /** On `ready`: the CPU counter is read from here on. */
  openCpuCounter(): void {
    try { this.#statFd = openSync(`/proc/${this.#host.pid()}/stat`, 'r'); } catch { /* gone: the exit handler follows */ }
  }

  runStarted(): void {
    this.#runs++;
    this.#runStartedAt = performance.now();
  }

  runSettled(): void {
    this.#busyMs += performance.now() - (this.#runStartedAt ?? performance.now());
    this.#runStartedAt = undefined;
  }

  /** Does the kill decided during the invocation that just ended, if any. */
  afterRun(): void {
    const afterRun = this.#afterRun;
    this.#afterRun = undefined;
    afterRun?.();
  }

  /** The process is gone. */
  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#watchTimer);
    if (this.#statFd !== undefined) closeSync(this.#statFd);
    this.#statFd = undefined;
    if (this.#statusFile) closeSync(this.#statusFile.fd);
    this.#statusFile = undefined;
  }

  /** See WATCH_MS: a full inspection unless the worker is idle, quiet and was inspected recently. */
  #tick(): Promise<boolean> {
    const ticks = this.#cpuTicks() ?? -1;
    const now = performance.now();
    const quiet = this.#host.ready() && !this.#host.busy() && ticks !== -1 && ticks === this.#lastFullTick.ticks;
    if (quiet && now - this.#lastFullTick.at < WATCH_IDLE_MS) return Promise.resolve(this.#host.alive());
    this.#lastFullTick = { ticks, at: now };
    return this.#inspect();
  }

  /** One watchdog tick: resident size, scratch usage, and CPU burnt while idle. False once the worker is killed or gone. */
  async #inspect(): Promise<boolean> {
    const rssKb = this.#residentKb();
    if (rssKb !== undefined && rssKb * 1024 > this.#limits.rssLimitBytes) {
      this.#killForMemory(`rss ${rssKb} kB`);
      return false;
    }
    if (!(await this.scratchWithinQuota(true))) return false;
    if (!this.#host.ready()) return this.#host.alive();
    const ticks = this.#cpuTicks();
    if (ticks === undefined) return this.#host.alive();
    const now = performance.now();
    const busy = this.#busyMs + (this.#runStartedAt === undefined ? 0 : now - this.#runStartedAt);
    const w = this.#cpuWindow;
    if (!w || now - w.at < WATCH_IDLE_MS) {
      this.#cpuWindow ??= { ticks, at: now, busyMs: busy };
      return this.#host.alive();
    }
    this.#cpuWindow = { ticks, at: now, busyMs: busy };
    const busyMs = busy - w.busyMs;
    const idleMs = Math.max(0, Math.round(now - w.at - busyMs));
    const usedMs = Math.round((ticks - w.ticks) * MS_PER_TICK - busyMs * (1 + HELPER_THREADS_SHARE));
    // Scaled to the idle time that really passed (a gateway too busy to tick on time must not make light
    // background work look like a spin), plus two clock ticks for the counter's resolution.
    const allowedMs = IDLE_CPU_MAX_MS * (idleMs / 1000) + 2 * MS_PER_TICK;
    if (usedMs <= allowedMs) return this.#host.alive();
    const replace = (): void => {
      const t = this.#host.target();
      const why = `${usedMs} ms of CPU in ${idleMs} ms idle (work left running after the handler returned)`;
      this.#host.deps.logger.warn({ worker: this.#host.id, function: t.name, why }, 'worker busy while idle; replacing it');
      writeFunctionLog(this.#host.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
      this.#host.publish({ type: 'sandbox.timeout', function: t.name, version: t.version, detail: { idle: true, cpuMs: usedMs, idleMs, worker: this.#host.id } });
      this.#host.kill({ kind: 'idle', why });
    };
    if (!this.#host.busy()) {
      replace();
      return false;
    }
    this.#afterRun ??= replace;
    return this.#host.alive();
  }

  /** VmRSS of the watched process in kB. Throws once the process is gone, which ends the watch. */
  #residentKb(): number | undefined {
    const pid = this.#host.pid()!;
    if (this.#statusFile?.pid !== pid) {
      if (this.#statusFile) closeSync(this.#statusFile.fd);
      this.#statusFile = undefined;
      this.#statusFile = { pid, fd: openSync(`/proc/${pid}/status`, 'r') };
    }
    const n = readSync(this.#statusFile.fd, STATUS_BUFFER, 0, STATUS_BUFFER.length, 0);
    const m = /VmRSS:\s+(\d+) kB/.exec(STATUS_BUFFER.toString('latin1', 0, n));
    return m ? Number(m[1]) : undefined;
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
    if (!this.#host.busy() && this.#host.alive()) {
      const t = this.#host.target();
      writeFunctionLog(this.#host.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
      this.#host.publish({ type: 'sandbox.memory-exceeded', function: t.name, version: t.version, detail: { memoryMb: t.manifest.limits.memoryMb, why, idle: true, worker: this.#host.id } });
    }
    this.#host.kill({ kind: 'memory', why });
  }

  /**
   * Scratch is on tmpfs (RAM) by default and has no file-system quota, so its size counts against the
   * function's memory: over scratchQuotaBytes the worker is killed. Usually the root is empty or holds
   * one tmpdir with a few files: on tmpfs a few synchronous calls (tmpfsTreeUsage). `withHeld` (watchdog
   * ticks) adds the unlinked scratch files the worker still holds open, which no directory lists (a stat
   * per descriptor: see #heldScratchFiles).
   */
  async scratchWithinQuota(withHeld: boolean): Promise<boolean> {
    const { bytes: held, outlived } = withHeld ? this.#heldScratchFiles() : { bytes: 0, outlived: false };
    const root = this.#limits.hostScratch;
    const limit = this.#limits.scratchQuotaBytes - held;
    const used = held + ((this.scratchOnTmpfs ? tmpfsTreeUsage(root, limit) : undefined) ?? await scratchUsage(root, limit));
    if (used > this.#limits.scratchQuotaBytes) {
      this.#killForMemory(`scratch holds more than ${this.#limits.scratchQuotaBytes} bytes${held > 0 ? ` (${held} in unlinked files held open)` : ''}`);
      return false;
    }
    if (outlived && this.#host.alive()) {
      if (this.#host.busy()) this.#afterRun ??= () => this.#retireForHeldFile();
      else this.#retireForHeldFile();
    }
    return this.#host.alive();
  }

  /**
   * Bytes allocated to regular files on the scratch file system that the worker holds open and that no
   * directory lists any more: unlinked by the function (open, unlink, keep writing: invisible to the
   * walk) or removed by the gateway after an invocation. Found through /proc/<pid>/fd: a stat per
   * descriptor, through the link, so of the open file itself (sockets, pipes and anonymous inodes are
   * not regular files on the scratch device and drop out), hence per tick and not per invocation.
   *
   * Such a file also outlives the invocation that opened it, and the next invocation on this worker
   * could read it: the worker is replaced as soon as one is seen while idle or in a later invocation
   * than the one it was first seen in (after that invocation ends, so its caller is not failed).
   */
  #heldScratchFiles(): { bytes: number; outlived: boolean } {
    const none = { bytes: 0, outlived: false };
    if (!this.#host.loading()) return none;
    const dir = `/proc/${this.#host.pid()}/fd`;
    let names: string[];
    try { names = readdirSync(dir); } catch { return none; }
    const sizes = new Map<number, number>();
    const seen = new Map<string, number>();
    let outlived = false;
    for (const name of names) {
      let st;
      try { st = statSync(`${dir}/${name}`); } catch { continue; }
      if (!st.isFile() || st.dev !== this.#scratchDev || st.nlink !== 0) continue;
      sizes.set(st.ino, st.blocks * 512);
      const key = `${name}:${st.ino}`;
      const first = this.#heldSeen.get(key) ?? this.#runs;
      seen.set(key, first);
      if (this.#host.ready() && (!this.#host.busy() || first !== this.#runs)) outlived = true;
    }
    this.#heldSeen = seen;
    let bytes = 0;
    for (const size of sizes.values()) bytes += size;
    return { bytes, outlived };
  }

  #retireForHeldFile(): void {
    const t = this.#host.target();
    const why = 'an unlinked scratch file is still open after its invocation ended';
    this.#host.deps.logger.warn({ worker: this.#host.id, function: t.name, why }, 'replacing worker');
    writeFunctionLog(this.#host.deps, { ...t, requestId: '-' }, 'warn', `worker replaced: ${why}`);
    this.#host.kill({ kind: 'scratch', why });
  }
}

/** What one scratch entry counts: its allocated blocks (sparse files count what they use), at least SCRATCH_ENTRY_MIN_BYTES. */
function entryBytes(st: Stats | undefined): number {
  return Math.max(SCRATCH_ENTRY_MIN_BYTES, st ? st.blocks * 512 : 0);
}

/**
 * scratchUsage on tmpfs, where a directory's size says how many entries it holds before it is read. A
 * tree of at most SYNC_WALK_ENTRIES entries (the usual root: empty, or one tmpdir with a few files) is
 * walked synchronously. A directory whose entries alone, at SCRATCH_ENTRY_MIN_BYTES each, put the tree
 * past `limit` ends the walk at once, however many it holds: a flood of empty files is caught by one
 * stat instead of one per file. Otherwise a larger tree gives undefined, and so does a directory that
 * lists more names than its size said (renamed over, or replaced by a symlink, after its stat): this
 * runs on the gateway's main thread, so it never reads more than the sizes promised.
 */
export function tmpfsTreeUsage(root: string, limit: number): number | undefined {
  let total = 0;
  let entries = 0;
  const dirs: Array<{ path: string; size: number }> = [];
  try { dirs.push({ path: root, size: statSync(root).size }); } catch { return 0; }
  while (dirs.length > 0) {
    const dir = dirs.pop()!;
    const count = (dir.size - TMPFS_EMPTY_DIR_SIZE) / TMPFS_DIRENT_SIZE;
    if (total + count * SCRATCH_ENTRY_MIN_BYTES > limit) return total + count * SCRATCH_ENTRY_MIN_BYTES;
    entries += count;
    if (entries > SYNC_WALK_ENTRIES) return undefined;
    if (count <= 0) continue;
    let listing;
    try { listing = opendirSync(dir.path, { bufferSize: SYNC_WALK_ENTRIES }); } catch { continue; /* removed meanwhile */ }
    try {
      for (let read = 0; ; read++) {
        const entry = listing.readSync();
        if (entry === null) break;
        if (read >= count) return undefined;
        const path = join(dir.path, entry.name);
        let st;
        try { st = lstatSync(path); } catch { /* removed meanwhile */ }
        total += entryBytes(st);
        if (total > limit) return total;
        if (st?.isDirectory()) dirs.push({ path, size: st.size });
      }
    } finally {
      listing.closeSync();
    }
  }
  return total;
}

/**
 * Bytes allocated under `root`, each entry counted by entryBytes(). Stops counting once past `limit`.
 */
export async function scratchUsage(root: string, limit: number): Promise<number> {
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
        return entryBytes(st);
      }));
      for (const s of sizes) total += s;
    }
  }
  return total;
}
