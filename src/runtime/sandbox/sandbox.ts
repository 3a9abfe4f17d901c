// The sandbox seam. The gateway hands a function version and an event to a SandboxProvider and gets
// a validated Lambda-style response back, or a BulwarkError (BWK_E_SANDBOX_* / BWK_E_BROKER_*).
// Nothing a worker process sends is trusted: the provider validates every message.

import type { Manifest, TriggerKind } from '../../manifest/types.ts';
import type { FunctionCaller } from '../../auth/principal.ts';

export interface FunctionTarget {
  name: string;
  version: number;
  sha256: string;
  manifest: Manifest;
}

/** What the handler's result becomes after normalisation (API Gateway proxy response shape). */
export interface HttpResult {
  statusCode: number;
  headers: Record<string, string>;
  /** Multi-value headers such as Set-Cookie. */
  cookies: string[];
  body: string;
  isBase64Encoded: boolean;
}

export interface InvokeRequest {
  requestId: string;
  /**
   * The event exactly as the handler receives it: an API Gateway 2.0 or 1.0 payload, an SQS-like record
   * batch (queue) or an EventBridge scheduled event (schedule).
   */
  event: unknown;
  /** Who called, for logs and capability audit: key id, JWT sub, 'anonymous' or 'scheduler'. */
  actor: string;
  /**
   * What the event came through; default 'http'. Only an HTTP invocation's return value is an HTTP
   * response: for queue and schedule (as with SQS and EventBridge) it answers nobody, so it is neither
   * validated as a response nor kept, and the result is an empty 200. A call from another function
   * ('invoke') answers its caller: its result is an HTTP response like an HTTP invocation's.
   */
  source?: TriggerKind;
  /** Source 'invoke': the calling function, from its verified call token; the handler sees it as context.caller. */
  caller?: FunctionCaller;
}

export interface IsolationLayer {
  name: string;
  active: boolean;
  detail: string;
}

export interface IsolationReport {
  mode: 'strict' | 'auto' | 'permission-only';
  layers: IsolationLayer[];
}

/** One function's workers at this moment, summed over its pools (versions, and retired pools still draining). */
export interface PoolStats {
  function: string;
  busy: number;
  idle: number;
  /** Spawned, not yet ready to serve. */
  starting: number;
  /** Callers waiting for a worker. */
  queued: number;
}

export interface SandboxProvider {
  readonly kind: string;
  /** Runs one invocation. Throws BulwarkError on timeout, crash, memory, bad response. */
  invoke(target: FunctionTarget, req: InvokeRequest): Promise<HttpResult>;
  /** Starts (or keeps) warm workers for a version and proves the bundle loads. Throws BWK_E_SANDBOX_LOAD_FAILED. */
  prepare(target: FunctionTarget): Promise<void>;
  /**
   * Stops workers of every version of `name` except `keepVersion`: idle ones now, busy ones when their
   * invocation ends, so callers in flight are served (and not reported as crashes).
   */
  retire(name: string, keepVersion?: number): Promise<void>;
  isolation(): IsolationReport;
  /** Worker counts per function (for /metrics): read-only, in memory, no I/O. */
  stats(): PoolStats[];
  /**
   * Stops every worker: new invocations are refused at once; invocations in flight get up to `graceMs`
   * (default 0) to finish, then fail with BWK_E_SANDBOX_UNAVAILABLE (a shutdown, not a crash). A later
   * call waits for the first, whose grace holds.
   */
  close(opts?: { graceMs?: number }): Promise<void>;
}
