// Bundles a function's handler and its npm dependencies into one ES module with esbuild. Runs on the
// author's machine (CLI); the server only ever receives the bytes and their sha256.
//
// The bundle must not carry the author's host paths: absWorkingDir makes every path esbuild records
// (the `// src/index.ts` module comments) relative to the function directory, and there are no source
// maps at all.

import { statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build, type Message } from 'esbuild';
import { BulwarkError } from '../errors.ts';
import type { Manifest } from '../manifest/types.ts';
import { sha256Hex } from '../store/store.ts';

export interface BundleResult {
  code: Uint8Array;
  sha256: string;
  warnings: string[];
}

// esbuild's ESM output has no `require`; CommonJS dependencies that require() Node built-ins need one.
const BANNER = "import { createRequire as __bwkCreateRequire } from 'node:module'; const require = __bwkCreateRequire(import.meta.url);";
const MAX_MESSAGES = 5;

export async function bundleFunction(dir: string, manifest: Manifest): Promise<BundleResult> {
  const root = resolve(dir);
  const entry = manifest.handler.file;
  let isFile = false;
  try {
    isFile = statSync(join(root, entry)).isFile();
  } catch {
    // reported below
  }
  if (!isFile) {
    throw new BulwarkError('BWK_E_DEPLOY_BUNDLE_FAILED', [`handler file ${entry} (from handler: in bulwark.yaml) does not exist in the function directory`]);
  }

  let result;
  try {
    result = await build({
      // Also where node_modules are resolved from: the function directory upwards, as Node would.
      absWorkingDir: root,
      entryPoints: [`./${entry}`],
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node26',
      banner: { js: BANNER },
      sourcemap: false,
      legalComments: 'none',
      write: false,
      logLevel: 'silent',
    });
  } catch (err) {
    const errors = (err as { errors?: Message[] }).errors;
    if (!errors) throw err;
    throw new BulwarkError('BWK_E_DEPLOY_BUNDLE_FAILED', [formatMessages(errors).join('\n')], { errors: errors.length });
  }
  const code = result.outputFiles[0]!.contents;
  return {
    code,
    sha256: sha256Hex(code),
    warnings: formatMessages(result.warnings),
  };
}

function formatMessages(messages: Message[]): string[] {
  const out = messages.slice(0, MAX_MESSAGES).map((m) => {
    const where = m.location ? `${m.location.file}:${m.location.line}:${m.location.column + 1}: ` : '';
    return `${where}${m.text}`;
  });
  if (messages.length > MAX_MESSAGES) out.push(`... and ${messages.length - MAX_MESSAGES} more`);
  return out;
}
