// Every capability the broker can grant, listed once, sorted.

import type { Manifest } from '../../manifest/types.ts';
import type { Capability } from './capability.ts';
import { fetch } from './fetch.ts';
import { invoke } from './invoke.ts';
import { kv } from './kv.ts';
import { log } from './log.ts';
import { secrets } from './secrets.ts';

export const capabilities: ReadonlyMap<string, Capability<unknown>> = new Map<string, Capability<unknown>>([
  ['fetch', fetch as Capability<unknown>],
  ['invoke', invoke as Capability<unknown>],
  ['kv', kv as Capability<unknown>],
  ['log', log as Capability<unknown>],
  ['secrets', secrets as Capability<unknown>],
]);

/** The capability names a manifest grants: the only ones announced to its workers. */
export function grantedCapabilities(manifest: Manifest): string[] {
  return [...capabilities.values()].filter((c) => c.granted(manifest)).map((c) => c.name);
}
