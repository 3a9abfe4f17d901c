// Who the client is, as far as the network can tell: the address every per-client decision uses (IP
// blocks, rate limits, abuse scores, security events, the access log).
//
// X-Forwarded-For is believed only when the TCP peer is listed in gateway.trustedProxies, and then only
// as far as it was written by trusted proxies: the header is read from the right (the entry the nearest
// proxy appended) and the first hop that is not a trusted proxy is the client. The left-most entry is
// whatever the client chose to send, so using it would let anyone pick their own address: dodge a block,
// or get someone else blocked. With no trusted proxies (the default) the header is ignored entirely.

import type { IncomingMessage } from 'node:http';
import { canonicalIp, type AddressSet } from '../net/address-set.ts';

export interface ClientAddress {
  /** Whether `address` is a trusted proxy (fastify's trustProxy uses it for X-Forwarded-Host/-Proto). */
  trusts(address: string): boolean;
  /** The client's canonical address for this request. */
  of(raw: IncomingMessage): string;
}

export function createClientAddress(trustedProxies: AddressSet): ClientAddress {
  const trusts = (address: string): boolean => trustedProxies.has(address);
  return {
    trusts,
    of(raw) {
      const peer = raw.socket.remoteAddress ?? '';
      let client = canonicalIp(peer) ?? peer;
      if (trustedProxies.size === 0 || !trusts(client)) return client;
      // Node joins repeated X-Forwarded-For headers with ", " in arrival order: one list either way.
      const header = raw.headers['x-forwarded-for'];
      if (header === undefined) return client;
      const hops = (Array.isArray(header) ? header.join(',') : header).split(',');
      for (let i = hops.length - 1; i >= 0; i--) {
        const hop = canonicalIp(hops[i]!.trim());
        // A hop that is not an address was not written by a proxy we trust: stop at the last one that was
        // vouched for rather than let arbitrary text become a client identity.
        if (hop === undefined) return client;
        client = hop;
        if (!trusts(hop)) return client;
      }
      return client;
    },
  };
}
