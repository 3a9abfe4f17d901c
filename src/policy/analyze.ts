// Least-privilege analysis of one function version: its grants (manifest `permissions`) against what
// its code references (src/policy/references.ts) and what it was seen using (src/policy/usage.ts). A
// grant is needed when the code names it or it was used; the suggestion is the needed grants, in the
// manifest's order. Grants that are neither are over-privilege, which `bulwark policy check` fails on.
// (The manifest parser refuses wildcard grants, so a deployed function cannot hold one.)

import { stringify } from 'yaml';
import type { Manifest } from '../manifest/types.ts';
import type { CapabilityUse } from '../store/store.ts';
import type { StaticReferences } from './references.ts';
import { hostPort } from './usage.ts';

export type FindingKind =
  /** Granted, never referenced by the code, never read: over-privilege. */
  | 'unused-secret'
  /** Granted, never referenced by the code, never contacted: over-privilege. */
  | 'unused-egress'
  /** Referenced by the code but never contacted yet: a notice (the code path may not have run). */
  | 'egress-never-contacted';

export interface Finding {
  kind: FindingKind;
  /** The secret's name or host:port. */
  grant: string;
  overPrivileged: boolean;
  /** Why the static side cannot be sure, when the code computes names or URLs at run time. */
  note?: string;
}

export interface ObservedUse {
  capability: string;
  target: string;
  outcome: 'used' | 'denied';
  count: number;
  firstSeen: string;
  lastSeen: string;
}

export interface PolicyReport {
  function: string;
  version: number;
  granted: { secrets: string[]; egress: string[] };
  referenced: StaticReferences;
  observed: ObservedUse[];
  suggested: { secrets: string[]; egress: string[] };
  /** The suggested `permissions` block, ready to paste into bulwark.yaml. */
  suggestedYaml: string;
  /** Referenced or attempted at run time but not granted: the code would be refused there. */
  notGranted: { secrets: string[]; egress: string[] };
  findings: Finding[];
}

export function analyzePolicy(fn: { name: string; version: number; manifest: Manifest }, referenced: StaticReferences, uses: CapabilityUse[]): PolicyReport {
  const granted = {
    secrets: fn.manifest.permissions.secrets ?? [],
    egress: fn.manifest.permissions.egress.map((r) => hostPort(r.host, r.port)),
  };
  const usedOf = (capability: string) => new Set(uses.filter((u) => u.capability === capability && u.outcome === 'used').map((u) => u.target));
  const attemptedOf = (capability: string) => new Set(uses.filter((u) => u.capability === capability).map((u) => u.target));
  const usedSecrets = usedOf('secrets');
  const contacted = usedOf('fetch');
  const neededSecrets = new Set([...referenced.secrets, ...usedSecrets]);
  const neededEgress = new Set([...referenced.egress, ...contacted]);

  const findings: Finding[] = [];
  const secretsNote = referenced.dynamicSecrets > 0 ? `the code has ${referenced.dynamicSecrets} secrets.get call(s) with a computed name` : undefined;
  const egressNote = referenced.dynamicEgress > 0 ? `the code has ${referenced.dynamicEgress} fetch call(s) with a computed URL` : undefined;
  for (const s of granted.secrets) {
    if (!neededSecrets.has(s)) findings.push({ kind: 'unused-secret', grant: s, overPrivileged: true, ...(secretsNote ? { note: secretsNote } : {}) });
  }
  for (const e of granted.egress) {
    if (!neededEgress.has(e)) findings.push({ kind: 'unused-egress', grant: e, overPrivileged: true, ...(egressNote ? { note: egressNote } : {}) });
    else if (!contacted.has(e)) findings.push({ kind: 'egress-never-contacted', grant: e, overPrivileged: false });
  }

  const suggested = {
    secrets: granted.secrets.filter((s) => neededSecrets.has(s)),
    egress: granted.egress.filter((e) => neededEgress.has(e)),
  };
  // kv and invoke grants are not analysed yet (a recorded kv use names the namespace, not whether it
  // wrote): they are carried over as granted, so a pasted suggestion never takes away access the code needs.
  const kv = fn.manifest.permissions.kv;
  const invoke = fn.manifest.permissions.invoke;
  const block = {
    permissions: {
      egress: suggested.egress,
      ...(suggested.secrets.length > 0 ? { secrets: suggested.secrets } : {}),
      ...(kv && Object.keys(kv).length > 0 ? { kv } : {}),
      ...(invoke && invoke.length > 0 ? { invoke } : {}),
    },
  };
  const grantedSecrets = new Set(granted.secrets);
  const grantedEgress = new Set(granted.egress);
  return {
    function: fn.name,
    version: fn.version,
    granted,
    referenced,
    observed: uses.map((u) => ({
      capability: u.capability, target: u.target, outcome: u.outcome, count: u.count,
      firstSeen: new Date(u.firstSeen).toISOString(), lastSeen: new Date(u.lastSeen).toISOString(),
    })),
    suggested,
    suggestedYaml: stringify(block),
    notGranted: {
      secrets: [...new Set([...referenced.secrets, ...attemptedOf('secrets')])].filter((s) => !grantedSecrets.has(s)).sort(),
      egress: [...new Set([...referenced.egress, ...attemptedOf('fetch')])].filter((e) => !grantedEgress.has(e)).sort(),
    },
    findings,
  };
}
