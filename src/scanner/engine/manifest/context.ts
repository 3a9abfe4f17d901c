// What a manifest rule sees: one bulwark.yaml as a tree with positions on every key and value (so a
// finding points at the offending key) and — computed on first use, once per manifest — the
// capabilities the function's source files reference.

import type { Report } from '../../types.ts';
import type { PMap } from '../yaml-tree.ts';
import type { CodeReferences } from './references.ts';

export interface ManifestContext {
  /** bulwark.yaml, relative to the scanned root. */
  file: string;
  root: PMap;
  /** Capability references in the function's code, or undefined when a source file cannot be parsed. */
  codeReferences(): CodeReferences | undefined;
  /** This rule's options (ScanOptions.ruleOptions[rule id]). */
  options: Record<string, unknown>;
  report(r: Omit<Report, 'file'> & { file?: string }): void;
}
