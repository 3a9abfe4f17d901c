// The shape every capability module has. A capability is a gateway-side function a worker may call
// over the broker; `parse` validates the worker's arguments (throwing BWK_E_BROKER_PROTOCOL kills the
// worker), `handle` does the work for the in-flight invocation. A capability that the manifest does
// not grant is not announced to the worker and is refused by the broker.

import type { Logger } from '../../telemetry/logger.ts';
import type { Config } from '../../config.ts';
import type { EventBus } from '../../bus/bus.ts';
import type { FunctionLogStore, KvStore } from '../../store/store.ts';
import type { FunctionTarget, HttpResult } from '../sandbox/sandbox.ts';
import type { Manifest } from '../../manifest/types.ts';

/** How context.invoke calls another function (src/gateway/function-calls.ts). */
export interface FunctionCalls {
  /** Signs a call from the invocation `from` to `callee` and runs it through the guard chain. */
  call(from: InvocationContext, callee: string, payload: unknown): Promise<HttpResult>;
}

/** Where context.secrets reads a secret's active value (the vault, src/vault/vault.ts). */
export interface SecretSource {
  get(name: string): Promise<Buffer | undefined>;
}

export interface CapabilityDeps {
  config: Config;
  logger: Logger;
  bus: EventBus;
  logs: FunctionLogStore;
  /** Absent outside a gateway (sandbox tests, benches): every secret is then unknown. */
  secrets?: SecretSource;
  /** Where context.kv keeps entries; absent outside a gateway, kv calls then fail with BWK_E_STORE_UNAVAILABLE. */
  kv?: KvStore;
  /** Absent outside a gateway: every context.invoke is then refused. */
  functionCalls?: FunctionCalls;
}

export interface InvocationContext {
  target: FunctionTarget;
  requestId: string;
  actor: string;
  /** How deep in a call chain this invocation is: 0 when no function called it (context.invoke signs hop + 1). */
  hop: number;
  /** Epoch ms when the gateway sent the invocation: the earliest time a log line of it may carry. */
  startedAt: number;
  /** Function log lines and message characters seen so far: the per-invocation budget. */
  logLines: number;
  logBytes: number;
  /** Set once the budget is spent (the one warning line is written). */
  logCapped?: boolean;
}

export interface Capability<A> {
  readonly name: string;
  granted(manifest: Manifest): boolean;
  parse(args: unknown): A;
  handle(args: A, inv: InvocationContext, deps: CapabilityDeps): Promise<unknown>;
}
