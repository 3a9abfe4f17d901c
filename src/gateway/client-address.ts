// Who the client is, as far as the network can tell: the address every per-client decision uses (IP
// blocks, rate limits, abuse scores, security events, the access log).
//
// X-Forwarded-For is believed only when the TCP peer is listed in gateway.trustedProxies, and then only
// as far as it was written by trusted proxies: the header is read from the right (the entry the nearest
// proxy appended) and the first hop that is not a trusted proxy is the client. The left-most entry is
// whatever the client chose to send, so using it would let anyone pick their own address: dodge a block,
// or get someone else blocked. With no trusted proxies (the default) the header is ignored entirely.
//
// Some proxies write the client's port too: `203.0.113.7:51234`, `[2001:db8::7]:443` (an IPv6 address
// with a port must be bracketed; unbracketed text is read as an address alone). Those are read as the
// address. An entry reached this way that is not an address at all (`unknown`, a name, a typo) was
// written by a trusted proxy about its client, and there is no safe address to use for it: taking the
// proxy's own would make every such client the proxy — one of them misbehaving would get all of them
// rate-limited and blocked together. So the request is refused (400) instead, which hurts only the
// requests that proxy describes badly, and says why, so the proxy's configuration gets fixed.

import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';
import { canonicalIp, type AddressSet } from '../net/address-set.ts';

export type ClientAddressOutcome =
  | { ok: true; address: string }
  | {
      ok: false;
      /** The last trusted hop, which wrote the entry: the address of the refusal's log line, nothing else. */
      proxy: string;
      problem: string;
    };

export interface ClientAddress {
  /** Whether `address` is a trusted proxy (fastify's trustProxy uses it for X-Forwarded-Host/-Proto). */
  trusts(address: string): boolean;
  /** The client's canonical address for this request, or why a trusted proxy's header names none. */
  of(raw: IncomingMessage): ClientAddressOutcome;
}

const MAX_PORT = 65_535;

/** The canonical address of one X-Forwarded-For entry: an IP, `ipv4:port`, `[ipv6]` or `[ipv6]:port`. */
export function forwardedAddress(entry: string): string | undefined {
  const bare = canonicalIp(entry);
  if (bare !== undefined) return bare;
  const m = /^(?:([0-9.]+)|\[([0-9A-Fa-f:.]+)\])(?::([0-9]{1,5}))?$/.exec(entry);
  if (!m || (m[3] !== undefined && Number(m[3]) > MAX_PORT)) return undefined;
  const [, v4, v6, port] = m;
  if (v4 !== undefined) return port !== undefined && isIP(v4) === 4 ? v4 : undefined;
  return isIP(v6!) === 6 ? canonicalIp(v6!) : undefined;
}

export function createClientAddress(trustedProxies: AddressSet): ClientAddress {
  const trusts = (address: string): boolean => trustedProxies.has(address);
  return {
    trusts,
    of(raw) {
      const peer = raw.socket.remoteAddress ?? '';
      let client = canonicalIp(peer) ?? peer;
      if (trustedProxies.size === 0 || !trusts(client)) return { ok: true, address: client };
      // Node joins repeated X-Forwarded-For headers with ", " in arrival order: one list either way.
      const header = raw.headers['x-forwarded-for'];
      if (header === undefined) return { ok: true, address: client };
      const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = forwardedAddress(hops[i]!.trim());
        if (hop === undefined) return { ok: false, proxy: client, problem: 'X-Forwarded-For from a trusted proxy has an entry that is not an IP address' };
        client = hop;
        if (!trusts(hop)) return { ok: true, address: client };
      }
      return { ok: true, address: client };
    },
  };
}
