// IP addresses as the gateway compares them, and sets of addresses written as IPs or CIDRs
// (gateway.trustedProxies, ipBlock.allowlist). One canonical spelling per address matters for security:
// a block on 203.0.113.7 must also stop ::ffff:203.0.113.7 (how a dual-stack socket reports that client),
// and 2001:DB8::1 must be the same client as 2001:db8:0:0:0:0:0:1.

import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The canonical form of an IP address: IPv4 dotted decimal (IPv4-mapped IPv6 is unwrapped), IPv6
 * compressed lower case. Undefined for anything that is not strictly an IP address: node's isIP refuses
 * the legacy forms ("0x7f.1", "127.1") that ipaddr.js and inet_aton would accept.
 */
export function canonicalIp(text: string): string | undefined {
  const kind = isIP(text);
  if (kind === 4) return text;
  if (kind === 6) {
    const addr = ipaddr.IPv6.parse(text);
    return addr.isIPv4MappedAddress() ? addr.toIPv4Address().toString() : addr.toString();
  }
  return undefined;
}

export interface AddressSet {
  /** True when `ip` (any spelling canonicalIp accepts) is in the set; false for anything else. */
  has(ip: string): boolean;
  readonly size: number;
}

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Why `entry` is not an IP address or CIDR, or undefined when it is one. */
export function addressEntryProblem(entry: string): string | undefined {
  const slash = entry.indexOf('/');
  const ip = slash < 0 ? entry : entry.slice(0, slash);
  if (canonicalIp(ip) === undefined) return `"${entry}" is not an IP address or CIDR (like 10.0.0.0/8 or 2001:db8::/32)`;
  if (slash < 0) return undefined;
  const bits = entry.slice(slash + 1);
  const max = isIP(ip) === 4 ? 32 : 128;
  if (!/^[0-9]{1,3}$/.test(bits) || Number(bits) > max) return `"${entry}" has an invalid prefix length (0 to ${max})`;
  return undefined;
}

/** Builds a set from IP and CIDR entries; throws TypeError naming the first bad entry (config.ts checks first). */
export function createAddressSet(entries: readonly string[]): AddressSet {
  const exact = new Set<string>();
  const ranges: Range[] = [];
  for (const entry of entries) {
    const problem = addressEntryProblem(entry);
    if (problem) throw new TypeError(problem);
    if (!entry.includes('/')) {
      exact.add(canonicalIp(entry)!);
      continue;
    }
    const [ip, bits] = ipaddr.parseCIDR(entry);
    // A mapped range (::ffff:10.0.0.0/104) is stored as the IPv4 range it names, like single addresses.
    if (ip.kind() === 'ipv6' && (ip as ipaddr.IPv6).isIPv4MappedAddress() && bits >= 96) {
      ranges.push([(ip as ipaddr.IPv6).toIPv4Address(), bits - 96]);
    } else {
      ranges.push([ip, bits]);
    }
  }
  return {
    size: exact.size + ranges.length,
    has(text) {
      const ip = canonicalIp(text);
      if (ip === undefined) return false;
      if (exact.has(ip)) return true;
      if (ranges.length === 0) return false;
      const addr = ipaddr.parse(ip);
      return ranges.some(([net, bits]) => net.kind() === addr.kind() && addr.match(net, bits));
    },
  };
}
