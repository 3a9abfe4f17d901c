// Configuration changes on record. The configuration is a file read once at start, so a change shows
// as a start whose configuration differs from the previous start's: each start publishes `config.loaded`
// with a digest per top-level section, and names the sections that differ from the last such record in
// the ledger. Digests only: the ledger says that `auth` changed and when, the file itself says how.

import type { Config } from '../config.ts';
import { sha256Hex, type AuditLog } from '../store/store.ts';
import { canonicalJson } from './record.ts';

export interface ConfigLoadedDetail {
  digest: string;
  sections: Record<string, string>;
  /** Sections added, removed or changed since the previous start on record; null: no previous start. */
  changed: string[] | null;
}

const digestOf = (value: unknown) => sha256Hex(Buffer.from(canonicalJson(value), 'utf8'));

export async function configLoaded(config: Config, log: Pick<AuditLog, 'query'>): Promise<ConfigLoadedDetail> {
  const sections: Record<string, string> = {};
  for (const [key, value] of Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    sections[key] = digestOf(value ?? null);
  }
  const [previous] = await log.query({ action: 'config.loaded', newestFirst: true, limit: 1 });
  let changed: string[] | null = null;
  if (previous) {
    let before: Record<string, string> = {};
    try {
      before = (JSON.parse(previous.details) as { sections?: Record<string, string> }).sections ?? {};
    } catch {
      // A record whose details are not JSON is `audit verify`'s to report; every section counts as changed.
    }
    changed = [...new Set([...Object.keys(before), ...Object.keys(sections)])].filter((k) => before[k] !== sections[k]).sort();
  }
  return { digest: digestOf(sections), sections, changed };
}
