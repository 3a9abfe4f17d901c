// The guard contract. A guard looks at one request and returns a Verdict; it never writes the
// response, never calls another guard and gets everything it needs through create(opts, deps).
// The gateway (src/gateway/invoke.ts) maps a denial to the response and the security event, once.

import type { BulwarkError, BulwarkErrorCode } from '../errors.ts';
import type { FunctionTarget } from '../runtime/sandbox/sandbox.ts';
import type { HttpTrigger } from '../manifest/types.ts';
import type { Principal } from '../auth/principal.ts';

export interface GuardRequest {
  requestId: string;
  fn: FunctionTarget;
  /** The manifest trigger the request matched. */
  trigger: HttpTrigger;
  method: string;
  /** Lower-cased header names, as Node parsed them. */
  headers: Record<string, string | string[] | undefined>;
  /** Raw body bytes; undefined when the request had none. */
  body: Buffer | undefined;
  sourceIp: string;
  /** Set by the chain once authn has passed; undefined before. */
  principal: Principal | undefined;
  /** Aborted when the caller disconnects before the answer: a guard holding the request must let go. */
  signal: AbortSignal;
}

export interface Pass {
  pass: true;
  /** authn hands the authenticated caller to the chain this way. */
  principal?: Principal;
  /** A held resource (a concurrency permit) to give back when the invocation ends. */
  release?: () => void;
}

export interface Deny {
  pass: false;
  error: BulwarkError;
  /** Extra response headers (Retry-After). */
  headers?: Record<string, string>;
  /** Security event the gateway publishes for this denial. */
  event?: { type: 'auth.failed' | 'authz.denied'; detail: Record<string, unknown> };
}

export type Verdict = Pass | Deny;

export type Guard = (req: GuardRequest) => Promise<Verdict>;

export interface GuardMeta {
  /** Equals the folder name under src/guards/ and the docs page docs/guards/<id>.md. */
  id: string;
  /** Where in the chain it belongs; chain.ts fixes the actual order. */
  phase: 'admission' | 'identity' | 'input' | 'capacity';
  description: string;
  errors: readonly BulwarkErrorCode[];
}

export function pass(extra: Omit<Pass, 'pass'> = {}): Pass {
  return { pass: true, ...extra };
}

export function deny(error: BulwarkError, extra: Omit<Deny, 'pass' | 'error'> = {}): Deny {
  return { pass: false, error, ...extra };
}
