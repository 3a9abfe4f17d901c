// Function-to-function calls (context.invoke), the gateway half. A call is signed here with the caller
// as the gateway ran it (its deployed name and version, its request id, its call depth), then delivered
// like every other event: the callee's active version, a GuardRequest of source 'invoke' carrying the
// token, and the one dispatch path (src/gateway/dispatch.ts), where authn verifies the token and names
// the calling function as the principal. The callee's handler receives the payload as its event and the
// verified caller as context.caller.
//
// `deliver` is the part after signing, apart so that the verification path has one entry: whatever
// token reaches it (forged, replayed, for another callee) meets the same guard chain.

import { randomUUID } from 'node:crypto';
import { BulwarkError } from '../errors.ts';
import { assertInvocable, type DisabledLookup } from '../lifecycle/admission.ts';
import type { CallTokenIssuer } from '../auth/call-token.ts';
import { lazyJson, NO_CLIENT_IP, type GuardRequest } from '../guards/types.ts';
import type { FunctionCalls } from '../runtime/capabilities/capability.ts';
import type { HttpResult } from '../runtime/sandbox/sandbox.ts';
import type { FunctionRegistry } from '../store/store.ts';
import type { Dispatcher } from './dispatch.ts';

export interface FunctionCallDeps {
  functions: Pick<FunctionRegistry, 'getActive'>;
  /** Disabled functions (src/lifecycle/disable.ts): a call to one is refused like an HTTP request. */
  lifecycle: DisabledLookup;
  tokens: Pick<CallTokenIssuer, 'sign'>;
  /** The dispatcher, which exists only after the sandbox (whose broker calls this) was built. */
  dispatcher: () => Dispatcher;
}

export interface FunctionCallGateway extends FunctionCalls {
  /** Delivers one call carrying `token` to the active version of `callee`; its answer, or the refusal thrown. */
  deliver(callee: string, token: string, payload: unknown): Promise<HttpResult>;
}

/** Never aborted: a call runs within the callee's own timeout, whether or not its caller still waits. */
const NEVER = new AbortController().signal;

export function createFunctionCalls(deps: FunctionCallDeps): FunctionCallGateway {
  async function deliver(callee: string, token: string, payload: unknown): Promise<HttpResult> {
    const fn = await deps.functions.getActive(callee);
    if (!fn) throw new BulwarkError('BWK_E_REGISTRY_FUNCTION_NOT_FOUND', [callee]);
    await assertInvocable(deps.lifecycle, fn);
    const body = Buffer.from(JSON.stringify(payload ?? null), 'utf8');
    const req: GuardRequest = {
      requestId: randomUUID(),
      fn: { name: fn.name, version: fn.version, sha256: fn.sha256, manifest: fn.manifest },
      source: 'invoke',
      trigger: { kind: 'invoke' },
      method: 'POST',
      headers: {},
      query: {},
      params: {},
      body,
      json: lazyJson(body),
      sourceIp: NO_CLIENT_IP,
      principal: undefined,
      callToken: token,
      signal: NEVER,
    };
    const outcome = await deps.dispatcher().dispatch(req, () => payload ?? null);
    if (!outcome.admitted) throw outcome.rejection.error;
    return outcome.result;
  }

  return {
    deliver,
    call(from, callee, payload) {
      const token = deps.tokens.sign({
        caller: { function: from.target.name, version: from.target.version },
        callee,
        requestId: from.requestId,
        callerHop: from.hop,
      });
      return deliver(callee, token, payload);
    },
  };
}
