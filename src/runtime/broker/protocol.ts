// The wire protocol between the gateway and a worker: one JSON object per line on the worker's fd 3.
// Everything a worker sends is parsed here, once, against a closed set of shapes with size limits.
// A frame that does not fit is a protocol violation: the caller kills the worker.

import { BulwarkError } from '../../errors.ts';

export type WorkerMessage =
  /** The bootstrap is set up and starts importing the bundle: the load timeout runs from here. */
  | { t: 'loading' }
  | { t: 'ready' }
  | { t: 'load-error'; message: string }
  /** `quiet`: the invocation wrote nothing to stdout/stderr, so no end marks follow (see output.ts). */
  | { t: 'result'; id: string; value: unknown; quiet: boolean }
  | { t: 'error'; id: string; kind: 'function' | 'bad-response'; error: WorkerError; quiet: boolean }
  /** `call` 0 is a notification (log lines): the worker wants no answer, so none is sent. */
  | { t: 'cap'; id: string; call: number; cap: string; args: unknown }
  | { t: 'denied'; what: string };

export interface WorkerError {
  name: string;
  message: string;
  stack: string;
  code?: string;
}

/** Messages the gateway sends. The worker trusts these, so they are built only here. */
export type GatewayMessage =
  | {
    t: 'init'; bundle: string; exportName: string; functionName: string; functionVersion: number;
    payloadFormat: '1.0' | '2.0'; allowCodeGeneration: boolean; capabilities: string[];
  }
  | {
    t: 'invoke'; id: string; requestId: string; event: unknown; timeoutMs: number; tmpdir: string;
    /** A call from another function: who called (context.caller). */
    caller?: { function: string; version: number; requestId: string };
  }
  | { t: 'cap-result'; call: number; ok: true; value: unknown }
  | { t: 'cap-result'; call: number; ok: false; error: { code: string; message: string } };

const MAX_TEXT = 64 * 1024;

/** The error for a worker that broke the protocol; `why` goes to the log only. */
export function protocolError(why: string, fn = '(worker)'): BulwarkError {
  return new BulwarkError('BWK_E_BROKER_PROTOCOL', [fn], { why });
}

function str(v: unknown, field: string, max = MAX_TEXT): string {
  if (typeof v !== 'string' || v.length > max) throw protocolError(`${field} must be a string of at most ${max} chars`);
  return v;
}

/** Parses one line from a worker. Throws BWK_E_BROKER_PROTOCOL on anything unexpected. */
export function parseWorkerMessage(line: string): WorkerMessage {
  let m: unknown;
  try {
    m = JSON.parse(line);
  } catch {
    throw protocolError('frame is not JSON');
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) throw protocolError('frame is not an object');
  const o = m as Record<string, unknown>;
  const keys = Object.keys(o);
  const only = (...allowed: string[]): void => {
    for (const k of keys) if (!allowed.includes(k)) throw protocolError(`unexpected field ${k.slice(0, 40)}`);
  };
  switch (o.t) {
    case 'loading':
      only('t');
      return { t: 'loading' };
    case 'ready':
      only('t');
      return { t: 'ready' };
    case 'load-error':
      only('t', 'message');
      return { t: 'load-error', message: str(o.message, 'message') };
    case 'result':
      only('t', 'id', 'value', 'quiet');
      return { t: 'result', id: str(o.id, 'id', 64), value: o.value, quiet: o.quiet === true };
    case 'error': {
      only('t', 'id', 'kind', 'error', 'quiet');
      if (o.kind !== 'function' && o.kind !== 'bad-response') throw protocolError('error.kind');
      const e = o.error as Record<string, unknown> | null;
      if (e === null || typeof e !== 'object') throw protocolError('error must be an object');
      const error: WorkerError = { name: str(e.name, 'error.name', 256), message: str(e.message, 'error.message'), stack: str(e.stack, 'error.stack') };
      if (e.code !== undefined) error.code = str(e.code, 'error.code', 128);
      return { t: 'error', id: str(o.id, 'id', 64), kind: o.kind, error, quiet: o.quiet === true };
    }
    case 'cap':
      only('t', 'id', 'call', 'cap', 'args');
      if (!Number.isSafeInteger(o.call) || (o.call as number) < 0) throw protocolError('call must be a non-negative integer');
      return { t: 'cap', id: str(o.id, 'id', 64), call: o.call as number, cap: str(o.cap, 'cap', 32), args: o.args };
    case 'denied':
      only('t', 'what');
      return { t: 'denied', what: str(o.what, 'what', 256) };
    default:
      throw protocolError('unknown frame type');
  }
}

/**
 * Splits a byte stream into lines, refusing any line longer than `maxBytes` so a worker can never make
 * the gateway buffer without bound.
 */
export class LineReader {
  #parts: Buffer[] = [];
  #size = 0;
  readonly #maxBytes: number;

  constructor(maxBytes: number) {
    this.#maxBytes = maxBytes;
  }

  /** Bytes of an unfinished line held back. */
  get buffered(): number {
    return this.#size;
  }

  /** Returns the complete lines in `chunk`; throws BWK_E_BROKER_PROTOCOL when a line is too long. */
  push(chunk: Buffer): string[] {
    const lines: string[] = [];
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(10, start)) >= 0) {
      this.#take(chunk.subarray(start, nl));
      lines.push(Buffer.concat(this.#parts).toString('utf8'));
      this.#parts = [];
      this.#size = 0;
      start = nl + 1;
    }
    if (start < chunk.length) this.#take(chunk.subarray(start));
    return lines;
  }

  #take(part: Buffer): void {
    this.#size += part.length;
    if (this.#size > this.#maxBytes) throw protocolError(`frame exceeds ${this.#maxBytes} bytes`);
    this.#parts.push(part);
  }
}
