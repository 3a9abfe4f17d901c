// Reads <dir>/bulwark.yaml and the files it references from disk (the CLI side). The referenced files are
// returned by the same relative paths parseManifest asked for, so the server re-validates from exactly
// the inputs the author validated, without ever touching the author's disk.

import { readFileSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { BulwarkError } from '../errors.ts';
import { parseManifest } from './parse.ts';
import type { Manifest } from './types.ts';

export const MANIFEST_FILE = 'bulwark.yaml';

export interface LoadedManifest {
  manifest: Manifest;
  source: string;
  path: string;
  files: Record<string, string>;
}

export async function loadManifest(dir: string): Promise<LoadedManifest> {
  const root = resolve(dir);
  const path = join(root, MANIFEST_FILE);
  let source: string;
  try {
    source = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') throw new BulwarkError('BWK_E_MANIFEST_NOT_FOUND', [path]);
    throw err;
  }
  const files: Record<string, string> = {};
  const fromCwd = relative(process.cwd(), path);
  const display = fromCwd.startsWith('..') ? path : fromCwd;
  const manifest = parseManifest(source, display, (rel) => {
    const abs = resolve(root, rel);
    // parseManifest only asks for paths inside the directory; this keeps it so if that ever changes.
    if (abs !== root && !abs.startsWith(root + sep)) return undefined;
    try {
      if (!statSync(abs).isFile()) return undefined;
      files[rel] = readFileSync(abs, 'utf8');
      return files[rel];
    } catch {
      return undefined;
    }
  });
  return { manifest, source, path, files };
}
