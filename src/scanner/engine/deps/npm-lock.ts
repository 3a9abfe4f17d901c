// package-lock.json / npm-shrinkwrap.json. v2 and v3 list every installed package in `packages` by its
// location on disk ("node_modules/a/node_modules/b"); dependencies resolve the way Node does, from the
// nearest node_modules upwards. v1 (npm 5/6) nests `dependencies` instead and is flattened into the same
// location map first.

import { BulwarkError } from '../../../errors.ts';
import { declaredDependencies, keyLines, type LockGraph, type LockNode } from './graph.ts';

interface LockEntry {
  name?: string;
  version?: string;
  link?: boolean;
  resolved?: string;
  deprecated?: string;
  hasInstallScript?: boolean;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
}

interface V1Entry {
  version?: string;
  requires?: Record<string, string>;
  dependencies?: Record<string, V1Entry>;
}

const nm = 'node_modules/';

export function parseNpmLock(text: string, file: string, manifest: Record<string, unknown> | undefined): LockGraph {
  let lock: { lockfileVersion?: number; packages?: Record<string, LockEntry>; dependencies?: Record<string, V1Entry> };
  try {
    lock = JSON.parse(text) as typeof lock;
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, `not JSON (${(err as Error).message})`]);
  }
  if (typeof lock !== 'object' || lock === null) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, 'not a JSON object']);
  const lines = keyLines(text, /^\s*"([^"]*)":\s*\{/);
  const packages = lock.packages && typeof lock.packages === 'object' ? lock.packages : flattenV1(lock.dependencies ?? {}, manifest);

  const resolve = (from: string, dep: string): string | undefined => {
    let base = from;
    for (;;) {
      const candidate = base ? `${base}/${nm}${dep}` : `${nm}${dep}`;
      if (packages[candidate]) return candidate;
      if (!base) return undefined;
      const i = base.lastIndexOf(`/${nm}`);
      base = i === -1 ? '' : base.slice(0, i);
    }
  };
  // A `link: true` entry stands for the directory it points at (a workspace member).
  const follow = (loc: string | undefined): string | undefined => {
    const e = loc === undefined ? undefined : packages[loc];
    return e?.link && typeof e.resolved === 'string' ? e.resolved : loc;
  };

  const nodes = new Map<string, LockNode>();
  for (const [loc, entry] of Object.entries(packages)) {
    if (loc === '' || entry.link || typeof entry !== 'object') continue;
    const installed = loc.includes(nm);
    const name = entry.name ?? (installed ? loc.slice(loc.lastIndexOf(nm) + nm.length) : loc);
    if (installed && typeof entry.version !== 'string') throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, `"${loc}" has no version`]);
    const deps = [...declaredDependencies(entry as Record<string, unknown>).keys()]
      .map((d) => follow(resolve(loc, d)))
      .filter((d): d is string => d !== undefined);
    nodes.set(loc, {
      name,
      version: entry.version ?? '0.0.0',
      line: lines.get(loc) ?? lines.get(name) ?? 1,
      deps,
      ...(typeof entry.deprecated === 'string' ? { deprecated: entry.deprecated } : {}),
      ...(entry.hasInstallScript === true ? { installScript: true } : {}),
      ...(installed ? {} : { local: true }),
    });
  }
  const rootEntry = (packages[''] as Record<string, unknown> | undefined) ?? manifest;
  const roots = rootEntry
    ? [...declaredDependencies(rootEntry).keys()].map((d) => follow(resolve('', d))).filter((d): d is string => d !== undefined)
    : [...nodes.keys()].filter((k) => k.split(nm).length === 2);
  // Workspace members are roots of their own: their dependencies are the project's direct ones too.
  for (const [key, node] of nodes) if (node.local) roots.push(key);
  return { nodes, roots };
}

function flattenV1(deps: Record<string, V1Entry>, manifest: Record<string, unknown> | undefined): Record<string, LockEntry> {
  const out: Record<string, LockEntry> = {};
  const walk = (level: Record<string, V1Entry>, prefix: string) => {
    for (const [name, e] of Object.entries(level)) {
      if (typeof e !== 'object' || e === null) continue;
      const loc = `${prefix}${nm}${name}`;
      out[loc] = { name, ...(e.version !== undefined ? { version: e.version } : {}), ...(e.requires ? { dependencies: e.requires } : {}) };
      if (e.dependencies) walk(e.dependencies, `${loc}/`);
    }
  };
  walk(deps, '');
  if (manifest) out[''] = manifest as LockEntry;
  return out;
}
