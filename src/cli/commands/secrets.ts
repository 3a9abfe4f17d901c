// `bulwark secrets set|list|rotate|rollback|rm` and `bulwark vault rotate-master`. A value is read from
// standard input or from --file, never from an argument: argv is visible to every local user (ps,
// /proc) and lands in shell history. Nothing here ever prints a value.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface VersionRow {
  name: string;
  version: number;
  createdAt: string;
  createdBy: string;
}

async function readValue(io: CliIo, file: string | undefined): Promise<string> {
  let text: string;
  if (file !== undefined) {
    try {
      text = await readFile(resolve(io.cwd, file), 'utf8');
    } catch (err) {
      throw new BulwarkError('BWK_E_CLI_USAGE', [`cannot read --file ${file}: ${(err as NodeJS.ErrnoException).code ?? 'error'}`]);
    }
  } else {
    const chunks: Buffer[] = [];
    for await (const chunk of io.stdin) chunks.push(Buffer.from(chunk as Uint8Array));
    text = Buffer.concat(chunks).toString('utf8');
  }
  // `echo value | bulwark secrets set X` and files saved by editors end in one newline that is not part of the value.
  const value = text.endsWith('\r\n') ? text.slice(0, -2) : text.endsWith('\n') ? text.slice(0, -1) : text;
  if (value === '') throw new BulwarkError('BWK_E_CLI_USAGE', [file !== undefined ? `--file ${file} is empty` : 'no value on standard input (pipe it in, or use --file)']);
  return value;
}

export function secretsCommand(io: CliIo): Command {
  const secrets = new Command('secrets').description('set, list, rotate and remove secrets (values from stdin or --file)');

  const writeVersion = (verb: 'set' | 'rotate', path: (name: string) => string, method: string) =>
    async (name: string, opts: { file?: string; json?: boolean }) => {
      const value = await readValue(io, opts.file);
      const created = await createClient(resolveTarget(io.env)).admin<VersionRow>(method, path(name), { value });
      if (opts.json) return printJson(io, created);
      io.stdout.write(`${verb === 'set' ? 'set' : 'rotated'} ${created.name}: version ${created.version} is active\n`);
    };

  secrets.command('set')
    .description('store a secret (a new version when it exists), value from stdin or --file')
    .argument('<name>', 'secret name, e.g. STRIPE_KEY')
    .option('--file <path>', 'read the value from this file instead of stdin')
    .option('--json', 'print JSON')
    .action(writeVersion('set', (name) => `/admin/v1/secrets/${encodeURIComponent(name)}`, 'PUT'));

  secrets.command('rotate')
    .description('store a new version of an existing secret, value from stdin or --file')
    .argument('<name>', 'secret name')
    .option('--file <path>', 'read the value from this file instead of stdin')
    .option('--json', 'print JSON')
    .action(writeVersion('rotate', (name) => `/admin/v1/secrets/${encodeURIComponent(name)}/rotate`, 'POST'));

  secrets.command('list')
    .description('list secret names and versions (never values)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const { secrets: rows } = await createClient(resolveTarget(io.env)).admin<{ secrets: Array<Record<string, unknown>> }>('GET', '/admin/v1/secrets');
      if (opts.json) return printJson(io, { secrets: rows });
      printTable(io, rows, { name: 'NAME', activeVersion: 'ACTIVE', latestVersion: 'LATEST', updatedAt: 'UPDATED', updatedBy: 'BY', createdAt: 'CREATED' });
    });

  secrets.command('rollback')
    .description('make a stored version of a secret active again')
    .argument('<name>', 'secret name')
    .argument('<version>', 'version to activate', positiveInt)
    .action(async (name: string, version: number) => {
      await createClient(resolveTarget(io.env)).admin('POST', `/admin/v1/secrets/${encodeURIComponent(name)}/rollback`, { version });
      io.stdout.write(`${name}: version ${version} is active\n`);
    });

  secrets.command('rm')
    .description('remove a secret and all its versions')
    .argument('<name>', 'secret name')
    .action(async (name: string) => {
      await createClient(resolveTarget(io.env)).admin('DELETE', `/admin/v1/secrets/${encodeURIComponent(name)}`);
      io.stdout.write(`removed ${name}\n`);
    });

  return secrets;
}

export function vaultCommand(io: CliIo): Command {
  const vault = new Command('vault').description('manage the vault master key');
  vault.command('rotate-master')
    .description('re-wrap every secret under a new master key (see docs/vault.md)')
    .action(async () => {
      const rotation = await createClient(resolveTarget(io.env)).admin<{ masterKeyId: string; rewrapped: number; newKey?: string }>(
        'POST', '/admin/v1/vault/rotate-master');
      if (rotation.newKey) {
        // The gateway runs on BULWARK_MASTER_KEY: it holds the new key in memory only, and the old one no
        // longer opens anything, so this is the one copy. stdout only, so it can be piped to a secret store.
        io.stdout.write(`${rotation.newKey}\n`);
        io.stderr.write(`master key rotated (id ${rotation.masterKeyId}, ${rotation.rewrapped} secret version(s) re-wrapped). `
          + 'The new key is above and shown only once: set BULWARK_MASTER_KEY to it before the gateway restarts\n');
        return;
      }
      io.stdout.write(`master key rotated (id ${rotation.masterKeyId}, ${rotation.rewrapped} secret version(s) re-wrapped); the key file was replaced\n`);
    });
  return vault;
}
