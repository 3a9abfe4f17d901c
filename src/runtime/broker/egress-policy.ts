// Where a function may send a request. Two checks, both in the gateway:
//  1. the URL's host:port must be listed in manifest.permissions.egress (exact match, case-insensitive);
//  2. every address the host resolves to must be public unicast. Private (RFC 1918), CGNAT, loopback,
//     link-local (cloud metadata lives there), unique-local, unspecified, multicast, broadcast,
//     reserved and translation ranges are refused unless the egress entry names that IP literally.
// The caller connects to the addresses returned here, never resolving the name again, so a DNS answer
// that changes between check and connect (rebinding) cannot redirect the request.

import { lookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { EgressRule } from '../../manifest/types.ts';

/** Names that reach instance metadata services without looking like an address. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal',
  'metadata.azure.internal', 'metadata.platformequinix.com',
]);

export interface EgressTarget {
  url: URL;
  host: string;
  port: number;
}

export interface CheckedAddress {
  address: string;
  family: 4 | 6;
}

export type EgressDecision =
  | { allowed: true; addresses: CheckedAddress[] }
  | { allowed: false; reason: string };

/** Parses a URL the function asked for; undefined when it is not plain http(s). */
export function egressTarget(raw: string): EgressTarget | undefined {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return undefined;
  const host = url.hostname.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
  return { url, host, port };
}

function normaliseHost(host: string): string {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase().replace(/\.$/, '');
  return ipaddr.isValid(h) ? ipaddr.process(h).toString() : h;
}

function isPublicUnicast(address: string): boolean {
  return ipaddr.process(address).range() === 'unicast';
}

export async function checkEgress(target: EgressTarget, rules: EgressRule[]): Promise<EgressDecision> {
  const host = normaliseHost(target.host);
  const listed = rules.some((r) => r.port === target.port && normaliseHost(r.host) === host);
  if (!listed) return { allowed: false, reason: 'not in permissions.egress' };

  if (ipaddr.isValid(host)) {
    // An IP literal listed as such is the explicit opt-in for a non-public address.
    const addr = ipaddr.process(host);
    // 0.0.0.0/8 and :: are no destination at all: Linux delivers them to loopback, so even a listed one
    // would be a disguised loopback grant.
    if (addr.range() === 'unspecified') return { allowed: false, reason: 'unspecified address' };
    return { allowed: true, addresses: [{ address: addr.toString(), family: addr.kind() === 'ipv4' ? 4 : 6 }] };
  }
  if (METADATA_HOSTS.has(host)) return { allowed: false, reason: 'cloud metadata host' };

  let resolved: Array<{ address: string; family: number }>;
  try {
    resolved = await lookup(host, { all: true, verbatim: true });
  } catch {
    return { allowed: false, reason: 'host does not resolve' };
  }
  if (resolved.length === 0) return { allowed: false, reason: 'host does not resolve' };
  const bad = resolved.find((r) => !isPublicUnicast(r.address));
  if (bad) return { allowed: false, reason: `resolves to non-public address ${bad.address}` };
  return { allowed: true, addresses: resolved.map((r) => ({ address: r.address, family: r.family === 6 ? 6 : 4 })) };
}
