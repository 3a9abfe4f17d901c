// What the deps engine hands each of its rules: the scanned projects (a directory with package.json
// and/or a lockfile), every package installed in each, and the advisory index. Lockfiles are parsed
// once per scan; the advisory data is loaded and indexed once per scan; the import scan that
// BWK-DEP-UNUSED needs runs only when a rule asks for it.

import type { Report } from '../../types.ts';
import type { AdvisoryIndex } from './advisories.ts';

export type LockfileKind = 'npm-shrinkwrap' | 'package-lock' | 'pnpm-lock' | 'yarn-v1' | 'yarn-berry';

/** One installed package (one node of the lockfile's graph; the same name may be installed at several versions). */
export interface InstalledPackage {
  name: string;
  version: string;
  /** Package names from a direct dependency down to this one, e.g. ['express', 'qs']; ['qs'] when direct. */
  path: string[];
  /** Declared by the project itself (package.json / the lockfile's root importer). */
  direct: boolean;
  /** The lockfile's deprecation notice, when it records one (package-lock v2/v3, pnpm). */
  deprecated?: string;
  /** The lockfile says the package runs install scripts (package-lock `hasInstallScript`, pnpm `requiresBuild`). */
  installScript?: boolean;
  /** Relative path of the lockfile and the 1-based line of the package's entry in it. */
  file: string;
  line: number;
}

export interface PackageManifest {
  /** Relative path of package.json. */
  file: string;
  json: Record<string, unknown>;
  /** 1-based line of `"<name>":` in a dependencies block, for findings about a declared dependency. */
  lineOf(name: string): number;
}

export interface Project {
  /** Directory relative to the scanned root ('' for the root itself). */
  dir: string;
  manifest?: PackageManifest;
  lockfile?: { file: string; kind: LockfileKind };
  packages: InstalledPackage[];
}

export interface DepsContext {
  root: string;
  projects: Project[];
  advisories: AdvisoryIndex;
  /**
   * Package names a project's own sources import or require (static, dynamic, require.resolve) or whose
   * binaries its package.json scripts run. Computed on first call per project (reads the project's
   * JS/TS files once), cached for the rest of the scan. Undefined when the project has no source file
   * in the scan: then nothing can be said about what it uses.
   */
  usedPackages(project: Project): Set<string> | undefined;
  report(r: Report): void;
}
