// pnpm-lock.yaml, lockfile versions 5 to 9. Package keys come as `/name/1.2.3` (v5), `/name@1.2.3(peer@1)`
// (v6) or `name@1.2.3` (v9, where the per-install dependencies moved to `snapshots` and `packages` keeps
// the metadata). Importers (`importers.<dir>` in workspaces, top-level fields otherwise) give the direct
// dependencies as `name: version` or `name: {specifier, version}`.

import { parse as parseYaml } from 'yaml';
import { BulwarkError } from '../../../errors.ts';
import { keyLines, type LockGraph, type LockNode } from './graph.ts';

type Deps = Record<string, unknown>;
interface PnpmPackage { dependencies?: Deps; optionalDependencies?: Deps; deprecated?: unknown; requiresBuild?: unknown; name?: unknown; version?: unknown }

/** `/@scope/name@1.2.3(peer@1)` | `name@1.2.3` | `/name/1.2.3_peer@1` → canonical `name@1.2.3(peer…)`. */
function canonical(key: string): string {
  const k = key.replace(/^\//, '');
  if (k.indexOf('@', 1) !== -1 && !/^(@[^/]+\/)?[^@/]+\/\d/.test(k)) return k;
  const slash = k.lastIndexOf('/');
  return slash <= 0 ? k : `${k.slice(0, slash)}@${k.slice(slash + 1)}`;
}

/** Name and version of a canonical key, peer suffixes (`(…)` in v6+, `_…` in v5) dropped. */
function nameVersion(key: string): [string, string] {
  const bare = key.replace(/\(.*$/, '');
  const at = bare.indexOf('@', 1);
  return [bare.slice(0, at), bare.slice(at + 1).replace(/_.*$/, '')];
}

/** A dependency reference (`1.2.3`, `1.2.3(peer@1)`, `/other@1.0.0`, `link:../x`) → canonical key. */
function refKey(name: string, ref: string): string | undefined {
  if (/^(link|file|workspace):/.test(ref)) return undefined;
  return /^\d/.test(ref) ? `${name}@${ref}` : canonical(ref);
}

function importerDeps(importer: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (typeof importer !== 'object' || importer === null) return out;
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
    const deps = (importer as Record<string, unknown>)[field];
    if (typeof deps !== 'object' || deps === null) continue;
    for (const [name, v] of Object.entries(deps)) {
      const version = typeof v === 'object' && v !== null ? (v as { version?: unknown }).version : v;
      if (typeof version === 'string') out.push([name, version]);
    }
  }
  return out;
}

export function parsePnpmLock(text: string, file: string): LockGraph {
  let doc: { importers?: Record<string, unknown>; packages?: Record<string, PnpmPackage>; snapshots?: Record<string, PnpmPackage> };
  try {
    doc = parseYaml(text) as typeof doc;
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, (err as Error).message.split('\n')[0]!]);
  }
  if (typeof doc !== 'object' || doc === null) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, 'not a YAML mapping']);
  const lines = new Map<string, number>();
  for (const [k, line] of keyLines(text, /^ {2}'?([^\s'][^']*?)'?:\s*$/)) {
    const c = canonical(k);
    if (!lines.has(c)) lines.set(c, line);
    const bare = c.replace(/\(.*$/, '');
    if (!lines.has(bare)) lines.set(bare, line);
  }

  const meta = new Map<string, PnpmPackage>();
  for (const [k, v] of Object.entries(doc.packages ?? {})) meta.set(canonical(k), v ?? {});
  // v9: one node per snapshot (an install with its resolved peers); before v9 `packages` has both roles.
  const installs = doc.snapshots ? Object.entries(doc.snapshots) : Object.entries(doc.packages ?? {});
  const nodes = new Map<string, LockNode>();
  for (const [rawKey, entry] of installs) {
    const key = canonical(rawKey);
    const [name, version] = nameVersion(key);
    const m = meta.get(key) ?? meta.get(key.replace(/\(.*$/, '')) ?? entry ?? {};
    const deps: string[] = [];
    for (const [dep, ref] of Object.entries({ ...entry?.dependencies, ...entry?.optionalDependencies })) {
      const k = typeof ref === 'string' ? refKey(dep, ref) : undefined;
      if (k) deps.push(k);
    }
    nodes.set(key, {
      name,
      version,
      line: lines.get(key.replace(/\(.*$/, '')) ?? lines.get(key) ?? 1,
      deps,
      ...(typeof m.deprecated === 'string' ? { deprecated: m.deprecated } : {}),
      ...(m.requiresBuild === true ? { installScript: true } : {}),
    });
  }
  const importers = doc.importers ?? { '.': doc };
  const roots: string[] = [];
  for (const importer of Object.values(importers)) {
    for (const [name, ref] of importerDeps(importer)) {
      const k = refKey(name, ref);
      if (k && nodes.has(k)) roots.push(k);
    }
  }
  return { nodes, roots };
}
