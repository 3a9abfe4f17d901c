// A worker's stdout/stderr, apart from its lifecycle: user code writes there freely (console.log, a
// timer left running, raw writes), so each line has to be split, capped, charged to the invocation
// that wrote it or to the idle budget, and written to the function log. Also where a V8 out-of-memory
// crash is recognised, since only stderr says so.

import type { BulwarkError } from '../../../errors.ts';
import { writeFunctionLog } from '../../broker/function-log.ts';
import { MAX_BYTES_PER_INVOCATION, MAX_LINES_PER_INVOCATION } from '../../capabilities/log.ts';
import { protocolError } from '../../broker/protocol.ts';
import type { CapabilityDeps, InvocationContext } from '../../capabilities/capability.ts';
import type { FunctionTarget } from '../sandbox.ts';

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
const OOM_SIGNATURE = /Reached heap limit|JavaScript heap out of memory|Allocation failed/;

export type OutputLevel = 'info' | 'error';
/** The invocation the output on one pipe is charged to. */
export interface OutputOwner { id: string; inv: InvocationContext }

/** What the output side needs from its worker. */
export interface OutputHost {
  deps: CapabilityDeps;
  /** Last target that ran here, for attributing output written between invocations. */
  target(): FunctionTarget;
  /** The worker is being killed: idle output no longer counts or logs. */
  killed(): boolean;
  /** Idle output went over its budget: a protocol violation. */
  overflow(err: BulwarkError): void;
}

export class WorkerOutput {
  #host: OutputHost;
  /**
   * Per pipe, the invocations whose output may still be in it, oldest first (see OUTPUT_END_MARK): the
   * next invocation can start before the previous one's mark was read. Empty: output is idle output.
   */
  #owners: Record<OutputLevel, OutputOwner[]> = { info: [], error: [] };
  /** Output since the last invocation started (or since spawn). */
  #idleLines = 0;
  #idleBytes = 0;
  #oomSeen = false;

  constructor(host: OutputHost) {
    this.#host = host;
  }

  /** stderr said V8 ran out of heap. */
  get oomSeen(): boolean {
    return this.#oomSeen;
  }

  capture(stream: NodeJS.ReadableStream, level: OutputLevel): void {
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      let nl: number;
      while ((nl = pending.indexOf('\n')) >= 0 || pending.length > MAX_OUTPUT_LINE) {
        const end = nl >= 0 && nl <= MAX_OUTPUT_LINE ? nl : MAX_OUTPUT_LINE;
        const line = pending.slice(0, end);
        pending = pending.slice(nl === end ? end + 1 : end);
        this.#line(line, level);
      }
    });
    stream.on('end', () => { if (pending) this.#line(pending, level); });
  }

  /** An invocation starts: the idle budget starts over and output on both pipes is charged to it. */
  begin(owner: OutputOwner): void {
    this.#idleLines = 0;
    this.#idleBytes = 0;
    this.#owners.info.push(owner);
    this.#owners.error.push(owner);
  }

  /**
   * The invocation settled: its output still in a pipe counts as its own until its mark, or
   * OUTPUT_GRACE_MS. A `quiet` invocation (the bootstrap saw no stdout/stderr writes) sends no marks, so
   * it stops owning output at once: two pipe writes in the worker and two wake-ups here saved per
   * invocation. A function that writes behind the bootstrap's back (fs.writeSync(1)) and is called quiet
   * only gets that output charged to its own idle budget.
   */
  end(owner: OutputOwner, quiet: boolean): void {
    const release = (): void => {
      for (const owners of Object.values(this.#owners)) {
        const i = owners.indexOf(owner);
        if (i >= 0) owners.splice(i, 1);
      }
    };
    if (quiet) release();
    else setTimeout(release, OUTPUT_GRACE_MS).unref();
  }

  #line(line: string, level: OutputLevel): void {
    if (level === 'error' && OOM_SIGNATURE.test(line)) this.#oomSeen = true;
    const owners = this.#owners[level];
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
      if (this.#host.killed()) return;
      this.#idleLines++;
      this.#idleBytes += line.length + 1;
      if (this.#idleLines > IDLE_OUTPUT_LINES || this.#idleBytes > IDLE_OUTPUT_BYTES) {
        this.#host.overflow(protocolError(`output while no invocation runs beyond ${IDLE_OUTPUT_LINES} lines or ${IDLE_OUTPUT_BYTES} bytes`));
        return;
      }
    }
    if (mark || line.trim() === '') return;
    writeFunctionLog(this.#host.deps, { ...(cur?.target ?? this.#host.target()), requestId: cur?.requestId ?? '-' }, level, line);
  }
}
