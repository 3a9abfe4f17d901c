// context.fetch (and the sandbox's global fetch): an HTTP request made BY THE GATEWAY on the function's
// behalf, only to host:port entries in manifest.permissions.egress, only to addresses that passed
// src/runtime/broker/egress-policy.ts, and only to those exact addresses (the connection's DNS lookup
// is pinned to them). Redirects are not followed: a 3xx goes back to the function, whose next fetch
// of the Location passes the same checks. Sizes and time are bounded by config.egress. Every call is
// logged; every denial is an `egress.denied` security event, every allowed call a `capability.used` one.

import { Agent, request } from 'undici';
import { BulwarkError } from '../../errors.ts';
import { publishSecurityEvent } from '../../bus/bus.ts';
import { protocolError } from '../broker/protocol.ts';
import { checkEgress, egressTarget, type CheckedAddress } from '../broker/egress-policy.ts';
import { writeFunctionLog } from '../broker/function-log.ts';
import { hostPort } from '../../policy/usage.ts';
import type { Capability, CapabilityDeps, InvocationContext } from './capability.ts';

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** Set by the gateway from the URL and the body, or meaningless across the broker hop. */
const DROPPED_HEADERS = new Set([
  'host', 'connection', 'keep-alive', 'transfer-encoding', 'content-length', 'upgrade', 'te', 'trailer',
  'proxy-authorization', 'proxy-connection', 'expect',
]);
const MAX_URL = 8 * 1024;
const MAX_HEADERS = 100;
const MAX_HEADER_BYTES = 32 * 1024;

interface FetchArgs {
  url: string;
  method: string;
  headers: Array<[string, string]>;
  body: Buffer | null;
}

export interface FetchResult {
  status: number;
  statusText: string;
  headers: Array<[string, string]>;
  /** base64 */
  body: string;
  url: string;
}


/** The URL without query or credentials, for logs and error messages. */
function safeUrl(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(invalid url)';
  }
}

async function deny(inv: InvocationContext, deps: CapabilityDeps, url: string, reason: string): Promise<never> {
  const where = safeUrl(url);
  writeFunctionLog(deps, { ...inv.target, requestId: inv.requestId }, 'warn', `fetch ${where} denied: ${reason}`);
  await deps.bus.publish('security', {
    type: 'egress.denied', at: new Date().toISOString(), requestId: inv.requestId,
    function: inv.target.name, version: inv.target.version, actor: inv.actor, detail: { url: where, reason },
  });
  throw new BulwarkError('BWK_E_BROKER_EGRESS_DENIED', [where], { reason });
}

function pinnedAgent(addresses: CheckedAddress[], timeoutMs: number): Agent {
  return new Agent({
    connections: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: {
      timeout: timeoutMs,
      // Answers every lookup with the addresses the policy checked: no second resolution.
      lookup(_hostname: string, options: { all?: boolean }, cb: (...args: unknown[]) => void) {
        if (options.all) cb(null, addresses);
        else cb(null, addresses[0]!.address, addresses[0]!.family);
      },
    } as Agent.Options['connect'],
  });
}

export const fetch: Capability<FetchArgs> = {
  name: 'fetch',
  granted: (manifest) => manifest.permissions.egress.length > 0,
  parse(args) {
    if (args === null || typeof args !== 'object' || Array.isArray(args)) throw protocolError('fetch: args must be an object');
    const a = args as Record<string, unknown>;
    if (typeof a.url !== 'string' || a.url.length > MAX_URL) throw protocolError('fetch: bad url');
    if (typeof a.method !== 'string' || !METHODS.has(a.method)) throw protocolError('fetch: bad method');
    if (!Array.isArray(a.headers) || a.headers.length > MAX_HEADERS) throw protocolError('fetch: bad headers');
    let headerBytes = 0;
    const headers: Array<[string, string]> = [];
    for (const h of a.headers) {
      if (!Array.isArray(h) || h.length !== 2 || typeof h[0] !== 'string' || typeof h[1] !== 'string') throw protocolError('fetch: bad header');
      headerBytes += h[0].length + h[1].length;
      headers.push([h[0], h[1]]);
    }
    if (headerBytes > MAX_HEADER_BYTES) throw protocolError('fetch: headers too large');
    if (a.body !== null && typeof a.body !== 'string') throw protocolError('fetch: bad body');
    return { url: a.url, method: a.method, headers, body: a.body === null ? null : Buffer.from(a.body, 'base64') };
  },
  async handle(args, inv, deps) {
    const { timeoutMs, maxResponseBytes } = deps.config.egress;
    const target = egressTarget(args.url);
    if (!target) return deny(inv, deps, args.url, 'only http and https URLs are allowed');
    const decision = await checkEgress(target, inv.target.manifest.permissions.egress);
    if (!decision.allowed) return deny(inv, deps, args.url, decision.reason);
    // What `bulwark policy` counts as use of an egress grant (src/policy/usage.ts): the host:port, not the URL.
    await publishSecurityEvent(deps.bus, deps.logger, {
      type: 'capability.used', requestId: inv.requestId, function: inv.target.name, version: inv.target.version,
      actor: inv.actor, detail: { capability: 'fetch', target: hostPort(target.host, target.port) },
    });
    const where = safeUrl(args.url);
    // One limit for both directions: config.egress has no separate request cap.
    if (args.body && args.body.length > maxResponseBytes) {
      throw new BulwarkError('BWK_E_BROKER_EGRESS_TOO_LARGE', [where, maxResponseBytes], { direction: 'request' });
    }

    const headers: Record<string, string> = {};
    for (const [k, v] of args.headers) if (!DROPPED_HEADERS.has(k.toLowerCase())) headers[k.toLowerCase()] = v;
    const agent = pinnedAgent(decision.addresses, timeoutMs);
    const started = performance.now();
    try {
      const res = await request(target.url, {
        method: args.method as 'GET', headers, body: args.body ?? undefined, dispatcher: agent,
        signal: AbortSignal.timeout(timeoutMs),
      });
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body) {
        size += (chunk as Buffer).length;
        if (size > maxResponseBytes) {
          res.body.destroy();
          throw new BulwarkError('BWK_E_BROKER_EGRESS_TOO_LARGE', [where, maxResponseBytes], { direction: 'response' });
        }
        chunks.push(chunk as Buffer);
      }
      const outHeaders: Array<[string, string]> = [];
      for (const [k, v] of Object.entries(res.headers)) {
        if (Array.isArray(v)) for (const item of v) outHeaders.push([k, item]);
        else if (v !== undefined) outHeaders.push([k, v]);
      }
      const ms = Math.round(performance.now() - started);
      deps.logger.info({ function: inv.target.name, requestId: inv.requestId, egress: where, method: args.method, status: res.statusCode, ms }, 'egress');
      writeFunctionLog(deps, { ...inv.target, requestId: inv.requestId }, 'debug', `fetch ${args.method} ${where} -> ${res.statusCode} (${ms} ms)`);
      const result: FetchResult = {
        status: res.statusCode, statusText: '', headers: outHeaders,
        body: Buffer.concat(chunks).toString('base64'), url: target.url.href,
      };
      return result;
    } catch (err) {
      if (err instanceof BulwarkError) throw err;
      deps.logger.warn({ function: inv.target.name, requestId: inv.requestId, egress: where, err: (err as Error).message }, 'egress failed');
      throw new BulwarkError('BWK_E_BROKER_EGRESS_FAILED', [where], { cause: (err as Error).message });
    } finally {
      void agent.close();
    }
  },
};
