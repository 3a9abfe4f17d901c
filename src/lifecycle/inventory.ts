// The function inventory behind `bulwark inventory` and GET /admin/v1/inventory: every function with
// its owner, versions, dates, state, grants and flags, from the store only (nothing is guessed).
//
// Flags, all computed at `now`:
//   expired        the active manifest's `expires` day is over (`expires: never` never is)
//   expiringSoon   it expires within EXPIRING_SOON_DAYS
//   stale          no invocation for staleAfterDays, counted from the last invocation or, for a
//                  function never invoked, from its last deploy (a fresh deploy is not stale)
//   unowned        no usable (not revoked, not expired) admin or deployer API key is scoped to the
//                  function by name: nobody but a global admin can still change or remove it. Keys for
//                  '*' belong to the platform team, not to a function's owners, so they do not count.
//                  (The manifest's `owner` is an email; keys carry no owner, so this is what
//                  "the owner's keys are all revoked" can mean without guessing.)
//
// Scan findings are read from the scan recorded with the active version (ScanResultStore, src/scanner/
// gate/): with the deployer's scan ('cli'), the findings it counted minus those a waiver let through;
// without it ('none': an older client, a raw API call), the gateway's own re-scan of the manifest. A
// version with no record reads "not scanned", 0. Open incidents are the incidents not resolved (open or
// acknowledged) whose key is the function's name: those of rules grouped by function (src/incidents/).

import { isExpired, NEVER_EXPIRES } from '../manifest/parse.ts';
import type { ApiKeyRecord, FunctionDisable, IncidentStore, ScanResultStore, Store } from '../store/store.ts';

/** "Expiring soon": within this many days of its expiry date. */
export const EXPIRING_SOON_DAYS = 30;

const DAY_MS = 86_400_000;

/** Incidents fetched per status for the count: far more than a gateway keeps open at once. */
const INCIDENTS_SCANNED = 10_000;

/** Open scanner findings of a function's version; undefined when it was never scanned. */
export interface FindingsSource {
  openFindings(fn: string, version: number): Promise<{ source: 'cli' | 'none'; open: number } | undefined>;
}

const total = (counts: Record<string, number>) => Object.values(counts).reduce((n, c) => n + c, 0);

/** Findings from the scan records the deploy gate stores (see the header). */
export function scanFindings(scans: Pick<ScanResultStore, 'get'>): FindingsSource {
  return {
    async openFindings(fn, version) {
      const r = await scans.get(fn, version);
      if (!r) return undefined;
      return r.source === 'cli' ? { source: 'cli', open: Math.max(0, total(r.counts) - r.waived.length) } : { source: 'none', open: total(r.serverCounts) };
    },
  };
}

/** Incidents not resolved, by key (see the header). */
async function openIncidentsByKey(incidents: Pick<IncidentStore, 'list'>): Promise<Map<string, number>> {
  const out = new Map<string, number>();
  for (const status of ['open', 'acknowledged'] as const) {
    for (const i of await incidents.list({ status, limit: INCIDENTS_SCANNED })) out.set(i.key, (out.get(i.key) ?? 0) + 1);
  }
  return out;
}

export interface InventoryEntry {
  name: string;
  owner: string;
  versions: { active: number; latest: number; count: number };
  createdAt: string;
  lastDeployAt: string;
  lastInvokedAt: string | null;
  expires: string;
  /** Why the function never expires (`expires: never`); null otherwise. */
  expiresReason: string | null;
  state: 'active' | 'disabled';
  disabled: Omit<FunctionDisable, 'name'> | null;
  grants: { egress: string[]; secrets: string[]; kv: Record<string, string>; invoke: string[] };
  /** source: whose scan the count is from ('cli': the deployer's; 'none': only the gateway's manifest re-scan). */
  findings: { scanned: boolean; source: 'cli' | 'none' | null; open: number };
  /** Incidents not resolved whose key is this function (rules grouped by function). */
  openIncidents: number;
  flags: { stale: boolean; unowned: boolean; expired: boolean; expiringSoon: boolean };
}

export interface InventoryDeps {
  store: Pick<Store, 'functions' | 'keys' | 'lifecycle' | 'incidents'>;
  staleAfterDays: number;
  findings: FindingsSource;
}

function usable(k: ApiKeyRecord, now: Date): boolean {
  return k.revokedAt === null && (k.expiresAt === null || Date.parse(k.expiresAt) > now.getTime());
}

/** Every function `visible` lets through, by name. */
export async function buildInventory(deps: InventoryDeps, now: Date, visible: (name: string) => boolean = () => true): Promise<InventoryEntry[]> {
  const [summaries, keys, disabled, invocations, incidents] = await Promise.all([
    deps.store.functions.list(), deps.store.keys.list(), deps.store.lifecycle.listDisabled(), deps.store.lifecycle.lastInvocations(),
    openIncidentsByKey(deps.store.incidents),
  ]);
  const disabledBy = new Map(disabled.map((d) => [d.name, d]));
  const lastInvoked = new Map(invocations.map((i) => [i.name, i.at]));
  const owningKeys = keys.filter((k) => (k.role === 'admin' || k.role === 'deployer') && usable(k, now));
  const out: InventoryEntry[] = [];
  for (const s of summaries) {
    if (!visible(s.name)) continue;
    const versions = await deps.store.functions.listVersions(s.name);
    const active = versions.find((v) => v.version === s.activeVersion);
    if (!active || versions.length === 0) continue;
    const m = active.manifest;
    const lastDeployAt = versions.reduce((a, v) => (v.deployedAt > a ? v.deployedAt : a), versions[0]!.deployedAt);
    const lastInvokedAt = lastInvoked.get(s.name) ?? null;
    const idleSince = Date.parse(lastInvokedAt ?? lastDeployAt);
    const d = disabledBy.get(s.name);
    const scan = await deps.findings.openFindings(s.name, s.activeVersion);
    const expired = isExpired(m, now);
    const soon = new Date(now.getTime() + EXPIRING_SOON_DAYS * DAY_MS);
    out.push({
      name: s.name,
      owner: m.owner ?? '',
      versions: { active: s.activeVersion, latest: s.latestVersion, count: versions.length },
      createdAt: versions[0]!.deployedAt,
      lastDeployAt,
      lastInvokedAt,
      expires: m.expires,
      expiresReason: m.expires === NEVER_EXPIRES ? (m.expiresReason ?? null) : null,
      state: d ? 'disabled' : 'active',
      disabled: d ? { at: d.at, actor: d.actor, reason: d.reason, offboardedAt: d.offboardedAt } : null,
      grants: {
        egress: m.permissions.egress.map((e) => `${e.host}:${e.port}`),
        secrets: [...(m.permissions.secrets ?? [])],
        kv: { ...(m.permissions.kv ?? {}) },
        invoke: [...(m.permissions.invoke ?? [])],
      },
      findings: scan ? { scanned: true, source: scan.source, open: scan.open } : { scanned: false, source: null, open: 0 },
      openIncidents: incidents.get(s.name) ?? 0,
      flags: {
        stale: now.getTime() - idleSince > deps.staleAfterDays * DAY_MS,
        unowned: !m.owner || !owningKeys.some((k) => k.functions.includes(s.name)),
        expired,
        expiringSoon: !expired && isExpired(m, soon),
      },
    });
  }
  return out;
}
