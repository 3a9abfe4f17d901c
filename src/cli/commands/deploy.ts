// `bulwark deploy [dir]`: validate bulwark.yaml, bundle the handler with esbuild and send both to the
// admin API, which stores an immutable version. Nothing is written to the store from here. With
// --sign <key-file> the deploy carries the publisher's signature over the function name, the bundle and
// the manifest (src/signing/signature.ts, docs/signing.md). Before anything is bundled, the security
// scan runs over the directory (the deploy gate, docs/scanner.md): findings at or above scanner.failOn
// (or --fail-on) refuse the deploy unless bulwark.waivers.yaml waives them; the summary and the waivers
// used travel with the deploy, and the gateway records them with the version.

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
import { loadConfig, resolveHome } from '../../config.ts';
import { scan, unanalysed } from '../../scanner/scan.ts';
import { printable, textReport } from '../../scanner/report/text.ts';
import { claimOf, judge, type ScanClaim } from '../../scanner/gate/gate.ts';
import { loadWaivers } from '../../scanner/gate/waivers.ts';
import type { Severity } from '../../scanner/types.ts';
import { incompleteText, severityArg } from './scan.ts';

export interface DeployResult {
  name: string;
  version: number;
  sha256: string;
  deployedAt: string;
  /** True when the bundle and manifest equal the active version: no new version was stored. */
  unchanged: boolean;
  warnings: string[];
}

/**
 * Loads, bundles and uploads the function in `dir`, signed with `signingKey` if given. With `gate`, the
 * deploy gate runs once the manifest is valid and before anything is bundled; its summary is sent along.
 * Shared with `serve --quickstart`, which deploys the bundled example without a gate.
 */
export async function deployDirectory(client: Client, dir: string, progress: Progress, signingKey?: KeyObject, gate?: () => Promise<ScanClaim>): Promise<DeployResult> {
  try {
    progress.step(`validating ${dir}/bulwark.yaml`);
    const { manifest, source, files } = await loadManifest(dir);
    const scanClaim = gate ? await gate() : undefined;
    progress.step(`bundling ${manifest.name} (${manifest.handler.file})`);
    const bundle = await bundleFunction(dir, manifest);
    progress.step(`uploading ${manifest.name} (${(bundle.code.byteLength / 1024).toFixed(1)} KiB)`);
    const answer = await client.admin<Omit<DeployResult, 'warnings'>>('POST', '/admin/v1/functions', {
      manifest: source,
      files,
      bundle: Buffer.from(bundle.code).toString('base64'),
      sha256: bundle.sha256,
      ...(signingKey ? { signature: signDeploy(signingKey, { name: manifest.name, sha256: bundle.sha256, manifestSource: source, files }) } : {}),
      ...(scanClaim ? { scan: scanClaim } : {}),
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
    .option('--fail-on <severity>', 'refuse the deploy on unwaived scan findings at or above this severity (default: config scanner.failOn, high)', severityArg)
    .option('--json', 'print JSON')
    .action(async (dir: string, opts: { json?: boolean; sign?: string; failOn?: Severity }) => {
      const client = createClient(resolveTarget(io.env));
      const signingKey = opts.sign === undefined ? undefined : await readSigningKey(resolve(io.cwd, opts.sign));
      const progress = createProgress(io, opts.json);
      const failOn = opts.failOn ?? loadConfig(resolveHome(io.env), {}, io.env).scanner.failOn;
      const result = await deployDirectory(client, resolve(io.cwd, dir), progress, signingKey, () => scanGate(io, resolve(io.cwd, dir), failOn, progress));
      if (opts.json) return printJson(io, result);
      for (const w of result.warnings) io.stderr.write(`warning: ${w}\n`);
      io.stdout.write(`${result.name}@${result.version}${result.unchanged ? ' (unchanged, no new version)' : ''}\n`
        + `sha256 ${result.sha256}\n`);
    });
}

/**
 * The deploy gate on the deployer's side: scans `dir`, prints the findings that block (and refuses), or
 * returns the summary and waivers used to send with the deploy. An invalid waivers file refuses too.
 */
export async function scanGate(io: CliIo, dir: string, failOn: Severity, progress: Progress): Promise<ScanClaim> {
  progress.step(`scanning ${dir} (deploy gate: ${failOn} and above)`);
  const waivers = await loadWaivers(dir);
  const result = await scan(dir);
  const verdict = judge(result.findings, waivers, failOn);
  if (verdict.blocking.length > 0) {
    progress.fail();
    io.stderr.write(textReport({ ...result, findings: verdict.blocking }));
    throw new BulwarkError('BWK_E_SCANNER_GATE_REFUSED', [`${verdict.blocking.length} finding(s) at or above ${failOn} without a waiver (fix them, or waive them in bulwark.waivers.yaml with a reason and an expiry)`]);
  }
  const missed = unanalysed(result);
  if (missed.length > 0) {
    progress.fail();
    io.stderr.write(textReport({ ...result, findings: verdict.blocking }));
    throw new BulwarkError('BWK_E_SCANNER_INCOMPLETE', [incompleteText(missed)]);
  }
  for (const w of verdict.waived) io.stderr.write(`${printable(`waived: ${w.ruleId} at ${w.file}:${w.line} (${w.severity}) until ${w.expires}: ${w.reason}`)}\n`);
  return claimOf(result.findings, result.suppressed.length, result.files.scanned, verdict);
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
