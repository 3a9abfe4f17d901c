// Source lines of scanned files, read once per scan: suppressions, fingerprints and code frames all
// look at the lines around a finding, never at the engines' parsed trees.

import { readFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';

export class SourceCache {
  #root: string;
  #files = new Map<string, Promise<string[] | undefined>>();

  constructor(root: string) {
    this.#root = resolve(root);
  }

  /** The file's lines, or undefined when it cannot be read (or lies outside the root). */
  lines(file: string): Promise<string[] | undefined> {
    let p = this.#files.get(file);
    if (!p) {
      const abs = resolve(join(this.#root, file));
      p = abs.startsWith(this.#root + sep)
        ? readFile(abs, 'utf8').then((t) => t.split(/\r?\n/), () => undefined)
        : Promise.resolve(undefined);
      this.#files.set(file, p);
    }
    return p;
  }
}

/** Synchronous variant for the reporters, which render after the scan. */
export function readLinesSync(root: string, file: string): string[] | undefined {
  const base = resolve(root);
  const abs = resolve(join(base, file));
  if (!abs.startsWith(base + sep)) return undefined;
  try {
    return readFileSync(abs, 'utf8').split(/\r?\n/);
  } catch {
    return undefined;
  }
}

/** 1-based line of `lines`, '' past the end. */
export function lineOf(lines: string[], line: number): string {
  return lines[line - 1] ?? '';
}
