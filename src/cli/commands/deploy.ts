// `bulwark deploy [dir]`: validate bulwark.yaml, bundle the handler with esbuild and send both to the
// admin API, which stores an immutable version. Nothing is written to the store from here. With
// --sign <key-file> the deploy carries the publisher's signature over the function name, the bundle and
// the manifest (src/signing/signature.ts, docs/signing.md).

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { KeyObject } from 'node:crypto';
import { Command } from 'commander';
import { loadManifest } from '../../manifest/load.ts';
import { bundleFunction } from '../../deploy/bundle.ts';
import { BulwarkError } from '../../errors.ts';
import { readPrivateKey, signDeploy } from '../../signing/signature.ts';
import { createClient, resolveTarget, type Client } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';
import { createProgress, type Progress } from '../progress.ts';

export interface DeployResult {
  name: string;
  version: number;
  sha256: string;
  deployedAt: string;
  /** True when the bundle and manifest equal the active version: no new version was stored. */
  unchanged: boolean;
  warnings: string[];
}

/** Loads, bundles and uploads the function in `dir`, signed with `signingKey` if given. Shared with `serve --quickstart`. */
export async function deployDirectory(client: Client, dir: string, progress: Progress, signingKey?: KeyObject): Promise<DeployResult> {
  try {
    progress.step(`validating ${dir}/bulwark.yaml`);
    const { manifest, source, files } = await loadManifest(dir);
    progress.step(`bundling ${manifest.name} (${manifest.handler.file})`);
    const bundle = await bundleFunction(dir, manifest);
    progress.step(`uploading ${manifest.name} (${(bundle.code.byteLength / 1024).toFixed(1)} KiB)`);
    const answer = await client.admin<Omit<DeployResult, 'warnings'>>('POST', '/admin/v1/functions', {
      manifest: source,
      files,
      bundle: Buffer.from(bundle.code).toString('base64'),
      sha256: bundle.sha256,
      ...(signingKey ? { signature: signDeploy(signingKey, { name: manifest.name, sha256: bundle.sha256, manifestSource: source, files }) } : {}),
    });
    const result = { ...answer, warnings: bundle.warnings };
    progress.done(`${result.name}@${result.version} ${result.unchanged ? 'unchanged' : 'deployed'}`);
    return result;
  } catch (err) {
    progress.fail();
    throw err;
  }
}

export function deployCommand(io: CliIo): Command {
  return new Command('deploy')
    .description('bundle a function and deploy it as a new version')
    .argument('[dir]', 'directory holding bulwark.yaml', '.')
    .option('--sign <key-file>', 'sign the deploy with this publisher private key (from `bulwark sign keygen`)')
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean; sign?: string }) => {
      const client = createClient(resolveTarget(io.env));
      const signingKey = opts.sign === undefined ? undefined : await readSigningKey(resolve(io.cwd, opts.sign));
      const result = await deployDirectory(client, resolve(io.cwd, dir), createProgress(io, opts.json), signingKey);
      if (opts.json) return printJson(io, result);
      for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
      io.stdout.write(`${result.name}@${result.version}${result.unchanged ? ' (unchanged, no new version)' : ''}\n`
        + `sha256 ${result.sha256}\n`);
    });
}

async function readSigningKey(file: string): Promise<KeyObject> {
  let pem: string;
  try {
    pem = await readFile(file, 'utf8');
  } catch {
    throw new BulwarkError('BWK_E_SIGNING_KEY_INVALID', [`cannot read ${file}`]);
  }
  return readPrivateKey(pem, file);
}
