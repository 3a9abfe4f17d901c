// The manifest engine: every bulwark.yaml under the scanned root, parsed once into a tree with
// positions (src/scanner/engine/yaml-tree.ts, the same yaml parser and LineCounter positions as
// src/manifest/parse.ts). Rules read the tree rather than the validated Manifest, so they also judge a
// manifest that validation would refuse (a wildcard grant is flagged with its security reason before
// a deploy is attempted). A manifest that is not YAML is reported through onError and skipped.

import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Engine, Finding, Rule } from '../../types.ts';
import { sortFindings, toFinding } from '../rule-report.ts';
import { parseTree } from '../yaml-tree.ts';
import type { ManifestContext } from './context.ts';
import { readCodeReferences, type CodeReferences } from './references.ts';

export const engine: Engine = {
  id: 'manifest',
  claims(file) {
    const path = file.replaceAll('\\', '/');
    return basename(path) === 'bulwark.yaml' && !/(^|\/)node_modules\//.test(path);
  },
  async run({ root, files, rules, options, onError }) {
    const findings: Finding[] = [];
    for (const file of files) {
      const abs = join(root, file);
      let source: string;
      try {
        source = await readFile(abs, 'utf8');
      } catch (err) {
        onError?.(file, `cannot be read (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        continue;
      }
      const tree = parseTree(source, { intrinsics: false });
      if (tree.error) {
        onError?.(file, `is not valid YAML: line ${tree.error.line}:${tree.error.column}: ${tree.error.message}`);
        continue;
      }
      if (tree.root?.type !== 'map') continue;
      const dir = dirname(abs);
      let refs: CodeReferences | undefined | null = null;
      const base = {
        file, root: tree.root,
        codeReferences: () => (refs === null ? (refs = readCodeReferences(dir)) : refs),
      };
      for (const rule of rules) {
        const context: ManifestContext = {
          ...base,
          options: options.ruleOptions?.[rule.meta.id] ?? {},
          report: (r) => findings.push(toFinding(rule as Rule<unknown>, { ...r, file: r.file ?? file })),
        };
        try {
          (rule as Rule<ManifestContext>).check(context);
        } catch (err) {
          // One rule's bug must not cost the findings of every other rule on this file.
          onError?.(file, `rule ${rule.meta.id} failed: ${(err as Error).message}`);
        }
      }
    }
    return sortFindings(findings);
  },
};
