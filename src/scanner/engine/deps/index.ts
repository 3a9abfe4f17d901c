// The dependencies engine: finds the projects in the scanned tree (directories with package.json and/or
// a lockfile, never inside node_modules), parses each lockfile once into installed packages with their
// dependency paths, loads and indexes the OSV advisories once, and hands all of it to the deps rules.

import { existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError } from '../../../errors.ts';
import type { Engine, Finding, Report, Rule } from '../../types.ts';
import { indexAdvisories, readOsvPath, type AdvisoryIndex } from './advisories.ts';
import type { DepsContext, LockfileKind, PackageManifest, Project } from './context.ts';
import { installedPackages } from './graph.ts';
import { importedPackages, scriptWords } from './imports.ts';
import { parseNpmLock } from './npm-lock.ts';
import { parsePnpmLock } from './pnpm-lock.ts';
import { isBerry, parseYarnLock } from './yarn-lock.ts';

/** The advisory data shipped with Bulwark (data/advisories/, seeded from OSV; see its README). */
export const defaultAdvisories = fileURLToPath(new URL('../../../../data/advisories/', import.meta.url));

/** Lockfiles by preference when a directory has several: the one npm/pnpm/yarn would install from. */
const lockfiles: Array<[string, LockfileKind | 'yarn']> = [
  ['npm-shrinkwrap.json', 'npm-shrinkwrap'],
  ['package-lock.json', 'package-lock'],
  ['pnpm-lock.yaml', 'pnpm-lock'],
  ['yarn.lock', 'yarn'],
];
const lockfileNames = new Set(lockfiles.map(([n]) => n));
const sourceFile = /\.(?:[cm]?[jt]sx?|vue|svelte)$/;
const emptyIndex: AdvisoryIndex = { size: 0, match: () => [] };

function inNodeModules(file: string): boolean {
  return file.startsWith('node_modules/') || file.includes('/node_modules/');
}

function render(template: string, data: Record<string, string | number> | undefined): string {
  return template.replace(/\{\{\s*(\w+)\s*\}\}/g, (_, k: string) => String(data?.[k] ?? ''));
}

function parseManifest(file: string, text: string): PackageManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, `not JSON (${(err as Error).message})`]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw new BulwarkError('BWK_E_SCANNER_LOCKFILE_INVALID', [file, 'not a JSON object']);
  const all = text.split('\n');
  const lineOf = (name: string): number => {
    // The declaration inside "dependencies", not a same-named script or field elsewhere in the file.
    const key = new RegExp(`^\\s*"${name.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}"\\s*:`);
    const start = all.findIndex((l) => /^\s*"dependencies"\s*:/.test(l));
    for (const from of [start, 0]) {
      if (from < 0) continue;
      const i = all.findIndex((l, n) => n > from && key.test(l));
      if (i !== -1) return i + 1;
    }
    return 1;
  };
  return { file, json: json as Record<string, unknown>, lineOf };
}

type OnError = ((file: string, reason: string) => void) | undefined;

/**
 * Reads one file of a project; a file that cannot be read or parsed goes to `onError` and is skipped
 * (the rest of the project, and other projects, are still scanned). Without `onError` it throws.
 */
async function guarded<T>(file: string, onError: OnError, read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (err) {
    if (!onError) throw err;
    onError(file, err instanceof BulwarkError ? err.message : `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    return undefined;
  }
}

async function loadProject(root: string, dir: string, names: Set<string>, onError: OnError): Promise<Project> {
  const rel = (n: string) => (dir ? `${dir}/${n}` : n);
  const project: Project = { dir, packages: [] };
  if (names.has('package.json')) {
    const manifest = await guarded(rel('package.json'), onError, async () => parseManifest(rel('package.json'), await readFile(join(root, rel('package.json')), 'utf8')));
    if (manifest) project.manifest = manifest;
  }
  const chosen = lockfiles.find(([n]) => names.has(n));
  if (!chosen) return project;
  const file = rel(chosen[0]);
  const parsed = await guarded(file, onError, async () => {
    const text = await readFile(join(root, file), 'utf8');
    if (chosen[1] === 'yarn') return { kind: isBerry(text) ? 'yarn-berry' as const : 'yarn-v1' as const, graph: parseYarnLock(text, file, project.manifest?.json) };
    if (chosen[1] === 'pnpm-lock') return { kind: chosen[1], graph: parsePnpmLock(text, file) };
    return { kind: chosen[1], graph: parseNpmLock(text, file, project.manifest?.json) };
  });
  if (!parsed) return project;
  project.lockfile = { file, kind: parsed.kind };
  project.packages = installedPackages(parsed.graph, file);
  return project;
}

export const engine: Engine = {
  id: 'deps',
  claims(file) {
    if (inNodeModules(file)) return false;
    const name = basename(file);
    return name === 'package.json' || lockfileNames.has(name) || sourceFile.test(file);
  },
  async run({ root, files, rules, options, onError }) {
    const byDir = new Map<string, Set<string>>();
    const sources: string[] = [];
    for (const f of files) {
      const name = posix.basename(f);
      if (name === 'package.json' || lockfileNames.has(name)) {
        const dir = posix.dirname(f) === '.' ? '' : posix.dirname(f);
        const set = byDir.get(dir) ?? new Set<string>();
        set.add(name);
        byDir.set(dir, set);
      } else if (sourceFile.test(f)) {
        sources.push(f);
      }
    }
    if (byDir.size === 0) return [];
    const projects: Project[] = [];
    for (const [dir, names] of [...byDir].sort(([a], [b]) => a.localeCompare(b))) projects.push(await loadProject(root, dir, names, onError));

    const advisories = projects.some((p) => p.packages.length > 0) ? indexAdvisories(await readOsvPath(options.advisories ?? defaultAdvisories)) : emptyIndex;

    const used = new Map<Project, Set<string> | undefined>();
    const usedPackages = (project: Project): Set<string> | undefined => {
      if (used.has(project)) return used.get(project);
      const names = new Set<string>();
      // A file counts for its own project and every enclosing one (a workspace root's dependencies are
      // often imported only by its members).
      const prefix = project.dir ? `${project.dir}/` : '';
      const mine = sources.filter((f) => f.startsWith(prefix));
      if (mine.length === 0) {
        used.set(project, undefined);
        return undefined;
      }
      for (const f of mine) {
        let text: string;
        try {
          text = readFileSync(join(root, f), 'utf8');
        } catch {
          continue; // vanished between the walk and the read: it imports nothing
        }
        importedPackages(text, names);
      }
      const manifest = project.manifest?.json;
      if (manifest) {
        const words = scriptWords(manifest);
        for (const dep of Object.keys((manifest.dependencies as object | undefined) ?? {})) {
          // Without node_modules the binary's name is guessed: the unscoped name, minus a -cli/-bin suffix.
          const bare = dep.replace(/^@[^/]+\//, '');
          const guesses = [dep, bare, bare.replace(/-(?:cli|bin)$/, '')];
          if (guesses.some((g) => words.has(g)) || binsOf(root, project.dir, dep).some((b) => words.has(b))) names.add(dep);
        }
      }
      used.set(project, names);
      return names;
    };

    const findings: Finding[] = [];
    let current: Rule | undefined;
    const context: DepsContext = {
      root,
      projects,
      advisories,
      usedPackages,
      report(r: Report) {
        const meta = current!.meta;
        const template = meta.messages[r.messageId];
        if (template === undefined) throw new Error(`${meta.id} reported unknown message id ${r.messageId}`);
        findings.push({ ...r, ruleId: meta.id, severity: r.severity ?? meta.severity, message: render(template, r.data) });
      },
    };
    for (const rule of rules) {
      current = rule;
      rule.check(context);
    }
    return findings.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.ruleId.localeCompare(b.ruleId));
  },
};

/** Binary names of an installed dependency, when node_modules is present (`tsc` for typescript). */
function binsOf(root: string, dir: string, dep: string): string[] {
  const pkg = join(root, dir, 'node_modules', dep, 'package.json');
  if (!existsSync(pkg)) return [];
  try {
    const bin = (JSON.parse(readFileSync(pkg, 'utf8')) as { bin?: unknown }).bin;
    if (typeof bin === 'string') return [dep.replace(/^@[^/]+\//, '')];
    return typeof bin === 'object' && bin !== null ? Object.keys(bin) : [];
  } catch {
    return [];
  }
}
