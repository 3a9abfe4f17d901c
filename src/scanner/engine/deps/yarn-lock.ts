// yarn.lock, both formats. Classic (v1) is yarn's own indentation format, read here line by line; berry
// (yarn 2+) is YAML with a `__metadata` entry. In both, an entry's key lists the descriptors
// (`name@range`, berry `name@npm:range`) that resolved to it, and dependencies are looked up by descriptor.

import { parse as parseYaml } from 'yaml';
import { BulwarkError } from '../../../errors.ts';
import { declaredDependencies, keyLines, type LockGraph, type LockNode } from './graph.ts';

interface Entry {
  descriptors: string[];
  version?: string;
  resolution?: string;
  dependencies: Record<string, string>;
  line: number;
}

const unquote = (s: string) => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s.trim());

/** `@scope/name@range` → ['@scope/name', 'range']. */
function splitDescriptor(d: string): [string, string] {
  const at = d.indexOf('@', 1);
  return at === -1 ? [d, ''] : [d.slice(0, at), d.slice(at + 1)];
}

export function isBerry(text: string): boolean {
  return /^__metadata:/m.test(text);
}

function parseClassic(text: string): Entry[] {
  const entries: Entry[] = [];
  let current: Entry | undefined;
  let section: string | undefined;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!.replace(/\r$/, '');
    if (raw.trim() === '' || raw.trimStart().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const line = raw.trim();
    if (indent === 0) {
      if (!line.endsWith(':')) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', ['yarn.lock', `line ${i + 1} is not an entry header`]);
      current = { descriptors: line.slice(0, -1).split(/,\s*/).map(unquote), dependencies: {}, line: i + 1 };
      section = undefined;
      entries.push(current);
      continue;
    }
    if (!current) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', ['yarn.lock', `line ${i + 1} is outside an entry`]);
    const m = /^("(?:[^"\\]|\\.)*"|[^\s"]+)\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = unquote(m[1]!.replace(/:$/, ''));
    const value = m[2]!.trim();
    if (indent <= 2) {
      section = value === '' && m[1]!.endsWith(':') ? key : undefined;
      if (key === 'version') current.version = unquote(value);
    } else if (section === 'dependencies' || section === 'optionalDependencies') {
      current.dependencies[key] = unquote(value);
    }
  }
  return entries;
}

function parseBerry(text: string, lines: Map<string, number>): Entry[] {
  let doc: Record<string, unknown>;
  try {
    doc = parseYaml(text) as Record<string, unknown>;
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', ['yarn.lock', (err as Error).message.split('\n')[0]!]);
  }
  const entries: Entry[] = [];
  for (const [key, value] of Object.entries(doc ?? {})) {
    if (key === '__metadata' || typeof value !== 'object' || value === null) continue;
    const v = value as { version?: unknown; resolution?: unknown; dependencies?: Record<string, unknown>; optionalDependencies?: Record<string, unknown> };
    const deps: Record<string, string> = {};
    for (const [n, r] of Object.entries({ ...v.dependencies, ...v.optionalDependencies })) deps[n] = String(r);
    entries.push({
      descriptors: key.split(/,\s*/),
      ...(v.version !== undefined ? { version: String(v.version) } : {}),
      ...(typeof v.resolution === 'string' ? { resolution: v.resolution } : {}),
      dependencies: deps,
      line: lines.get(key) ?? 1,
    });
  }
  return entries;
}

export function parseYarnLock(text: string, file: string, manifest: Record<string, unknown> | undefined): LockGraph {
  const berry = isBerry(text);
  let entries: Entry[];
  try {
    entries = berry ? parseBerry(text, keyLines(text, /^"?([^\s"][^"]*?)"?:\s*$/)) : parseClassic(text);
  } catch (err) {
    if (err instanceof BulwarkError) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, err.message.replace(/^Lockfile yarn\.lock cannot be parsed: /, '')]);
    throw err;
  }
  const byDescriptor = new Map<string, string>();
  const nodes = new Map<string, LockNode>();
  const roots: string[] = [];
  for (const e of entries) {
    const key = e.descriptors[0]!;
    for (const d of e.descriptors) byDescriptor.set(d, key);
    const ref = e.resolution ?? key;
    let [name, range] = splitDescriptor(ref);
    // An alias (`alias@npm:real@^1`) installs `real`: advisories are about that name.
    const alias = /^npm:((?:@[^/@]+\/)?[^@]+)@/.exec(range);
    if (alias) [name, range] = [alias[1]!, range];
    const local = /^(workspace|link|portal|file):/.test(splitDescriptor(ref)[1]);
    nodes.set(key, { name, version: e.version ?? '0.0.0', line: e.line, deps: [], ...(local ? { local: true } : {}) });
    if (berry && local && /@workspace:\.?$/.test(ref)) roots.push(key);
  }
  const lookup = (name: string, range: string) => byDescriptor.get(`${name}@${range}`) ?? byDescriptor.get(`${name}@npm:${range}`);
  for (const e of entries) {
    const node = nodes.get(e.descriptors[0]!)!;
    for (const [dep, range] of Object.entries(e.dependencies)) {
      const k = lookup(dep, range);
      if (k) node.deps.push(k);
    }
  }
  if (roots.length === 0) {
    for (const [dep, range] of declaredDependencies(manifest)) {
      const k = lookup(dep, range);
      if (k) roots.push(k);
    }
  }
  return { nodes, roots };
}
