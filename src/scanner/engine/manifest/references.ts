// Which capabilities a function's code names, for BWK-MAN-UNUSED-GRANT: src/policy/references.ts (the
// same reading `bulwark policy check` does on a bundle) run on every source file of the function
// directory (TypeScript stripped to JavaScript with esbuild first). Dynamic (computed) names are
// counted, so a rule can stay silent instead of guessing.

import { lstatSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import { transformSync } from 'esbuild';
import { findReferences } from '../../../policy/references.ts';

export interface CodeReferences {
  secrets: Set<string>;
  egress: Set<string>;
  kv: Set<string>;
  invoke: Set<string>;
  /** Calls whose target is computed at run time, by capability. */
  dynamic: { secrets: number; egress: number; kv: number; invoke: number };
  /** Source files read (relative to the function directory). */
  files: string[];
}

const SOURCE = new Set(['.js', '.mjs', '.cjs', '.ts', '.mts', '.cts']);
const MAX_FILES = 2000;

/** Source files of the function in `dir`, skipping dependencies, dot-directories and nested functions. */
export function functionSources(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    let names: string[];
    try {
      names = readdirSync(join(dir, rel));
    } catch {
      return;
    }
    for (const name of names.sort()) {
      if (out.length >= MAX_FILES) return;
      const relPath = rel ? `${rel}/${name}` : name;
      const abs = join(dir, relPath);
      let st;
      try {
        st = lstatSync(abs);
      } catch {
        continue;
      }
      // Symbolic links are not followed (as the scan's own walk): a link cycle must not hang the scan.
      if (st.isSymbolicLink()) continue;
      if (st.isDirectory()) {
        if (name === 'node_modules' || name.startsWith('.')) continue;
        try {
          if (statSync(join(abs, 'bulwark.yaml')).isFile()) continue; // another function
        } catch { /* not a function directory */ }
        walk(relPath);
      } else if (SOURCE.has(extname(name)) && !name.endsWith('.d.ts')) {
        out.push(relPath);
      }
    }
  };
  walk('');
  return out;
}

export function readCodeReferences(dir: string): CodeReferences | undefined {
  const refs: CodeReferences = {
    secrets: new Set(), egress: new Set(), kv: new Set(), invoke: new Set(),
    dynamic: { secrets: 0, egress: 0, kv: 0, invoke: 0 }, files: [],
  };
  for (const rel of functionSources(dir)) {
    let code = readFileSync(join(dir, rel), 'utf8');
    try {
      if (/\.[mc]?ts$/.test(rel)) code = transformSync(code, { loader: 'ts', format: 'esm' }).code;
      const found = findReferences(code);
      for (const s of found.secrets) refs.secrets.add(s);
      for (const e of found.egress) refs.egress.add(e);
      for (const k of found.kv) refs.kv.add(k);
      for (const i of found.invoke) refs.invoke.add(i);
      refs.dynamic.secrets += found.dynamicSecrets;
      refs.dynamic.egress += found.dynamicEgress;
      refs.dynamic.kv += found.dynamicKv;
      refs.dynamic.invoke += found.dynamicInvoke;
    } catch {
      // A file we cannot read as JavaScript could name anything: no reference set is better than a wrong one.
      return undefined;
    }
    refs.files.push(rel);
  }
  return refs;
}
