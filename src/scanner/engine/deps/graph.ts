// The shape every lockfile parser produces, and the walk that turns it into installed packages with
// their dependency path: breadth-first from the project's direct dependencies, so each package gets the
// shortest chain that pulls it in (what `npm ls <name>` would show first).

import type { InstalledPackage } from './context.ts';

export interface LockNode {
  name: string;
  version: string;
  /** 1-based line of the node's entry in the lockfile. */
  line: number;
  /** Keys (in LockGraph.nodes) of the nodes this one depends on. */
  deps: string[];
  deprecated?: string;
  installScript?: boolean;
  /** A workspace member or linked directory: walked through, never reported as an installed package. */
  local?: boolean;
}

export interface LockGraph {
  nodes: Map<string, LockNode>;
  /** Keys of the project's direct dependencies (and of its local workspace members). */
  roots: string[];
}

export function installedPackages(graph: LockGraph, file: string): InstalledPackage[] {
  const paths = new Map<string, string[]>();
  const direct = new Set<string>();
  const queue: string[] = [];
  for (const key of graph.roots) {
    const node = graph.nodes.get(key);
    if (!node || paths.has(key)) continue;
    paths.set(key, node.local ? [] : [node.name]);
    if (!node.local) direct.add(key);
    queue.push(key);
  }
  for (let i = 0; i < queue.length; i++) {
    const key = queue[i]!;
    const node = graph.nodes.get(key)!;
    const path = paths.get(key)!;
    for (const dep of node.deps) {
      const child = graph.nodes.get(dep);
      if (!child || paths.has(dep)) continue;
      if (path.length === 0 && !child.local) direct.add(dep);
      paths.set(dep, child.local ? path : [...path, child.name]);
      queue.push(dep);
    }
  }
  const out: InstalledPackage[] = [];
  for (const [key, node] of graph.nodes) {
    if (node.local) continue;
    out.push({
      name: node.name,
      version: node.version,
      // Not reachable from the manifest (extraneous, or a lockfile without its package.json): no chain to show.
      path: paths.get(key) ?? [node.name],
      direct: direct.has(key),
      ...(node.deprecated ? { deprecated: node.deprecated } : {}),
      ...(node.installScript ? { installScript: true } : {}),
      file,
      line: node.line,
    });
  }
  return out;
}

/** Lines of top-level-ish keys: the first line at which each `"key": {` / `key:` appears, for findings. */
export function keyLines(text: string, pattern: RegExp): Map<string, number> {
  const lines = new Map<string, number>();
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const m = pattern.exec(all[i]!);
    if (m && m[1] !== undefined && !lines.has(m[1])) lines.set(m[1], i + 1);
  }
  return lines;
}

/** Dependencies a manifest-like object declares, by name → range, across the four dependency fields. */
export function declaredDependencies(json: Record<string, unknown> | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const field of ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies']) {
    const deps = json?.[field];
    if (typeof deps !== 'object' || deps === null) continue;
    for (const [name, range] of Object.entries(deps)) if (!out.has(name)) out.set(name, String(range));
  }
  return out;
}

/** How a package got into the project, for messages: "direct dependency" or "via express > qs". */
export function viaText(pkg: { path: string[]; direct: boolean }): string {
  if (pkg.direct) return 'direct dependency';
  return pkg.path.length > 1 ? `via ${pkg.path.slice(0, -1).join(' > ')}` : 'not reachable from package.json';
}
