// `bulwark secrets set|list|rotate|rollback|rm` and `bulwark vault rotate-master`. A value is read from
// standard input or from --file, never from an argument: argv is visible to every local user (ps,
// /proc) and lands in shell history. Nothing here ever prints a value.

import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { positiveInt } from '../args.ts';
import { createClient, RemoteError, resolveTarget } from '../client.ts';
import { KEY_BYTES, rotationProof } from '../../vault/seal.ts';
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

interface Rotation {
  masterKeyId: string;
  rewrapped: number;
}

/** Resolves once `text` was handed to the OS (file, pipe, terminal); rejects when it could not be. */
function writeOut(io: CliIo, text: string): Promise<void> {
  return new Promise((done, fail) => io.stdout.write(text, (err) => (err ? fail(err) : done())));
}

/** The first line of standard input, without its line ending; undefined when input ends first. */
async function readLine(io: CliIo): Promise<string | undefined> {
  let text = '';
  for await (const chunk of io.stdin) {
    text += Buffer.from(chunk as Uint8Array).toString('utf8');
    const end = text.indexOf('\n');
    if (end !== -1) return text.slice(0, end).replace(/\r$/, '');
  }
  return text === '' ? undefined : text;
}

export function vaultCommand(io: CliIo): Command {
  const vault = new Command('vault').description('manage the vault master key');
  vault.command('rotate-master')
    .description('re-wrap every secret under a new master key (see docs/vault.md)')
    .option('--yes', 'BULWARK_MASTER_KEY: commit as soon as the new key was written to stdout, without asking for it back')
    .action(async (opts: { yes?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      let prepared: { masterKeyId: string; newKey: string; expiresAt: string };
      try {
        prepared = await client.admin('POST', '/admin/v1/vault/rotate-master/prepare');
      } catch (err) {
        if (!(err instanceof RemoteError && err.code === 'BWK_E_VAULT_ROTATION_MODE')) throw err;
        // The key file: the gateway writes the new key itself, crash-safely, in one step.
        const rotation = await client.admin<Rotation>('POST', '/admin/v1/vault/rotate-master');
        io.stdout.write(`master key rotated (id ${rotation.masterKeyId}, ${rotation.rewrapped} secret version(s) re-wrapped); the key file was replaced\n`);
        return;
      }
      // BULWARK_MASTER_KEY: the gateway holds this key in memory only and nothing is sealed under it yet.
      // It is committed only once it has left this process (stdout only, so it can be piped to a secret
      // store) and, without --yes, once the operator pasted back the copy they kept.
      await writeOut(io, `${prepared.newKey}\n`);
      io.stderr.write(`new master key (id ${prepared.masterKeyId}) printed above, once. Nothing has changed yet: `
        + `store it where BULWARK_MASTER_KEY comes from, then commit before ${prepared.expiresAt}.\n`);
      let saved = prepared.newKey;
      if (!opts.yes) {
        io.stderr.write('paste the key you stored and press Enter to commit (nothing is committed otherwise): ');
        const line = await readLine(io);
        if (line === undefined) throw new BulwarkError('BWK_E_CLI_USAGE', ['no key was pasted back: nothing was committed, the current key stays in use']);
        saved = line.trim();
      }
      const key = Buffer.from(saved, 'base64');
      if (key.length !== KEY_BYTES || key.toString('base64') !== saved) {
        throw new BulwarkError('BWK_E_CLI_USAGE', ['what was pasted back is not a master key (base64 of 32 bytes): nothing was committed, the current key stays in use']);
      }
      const rotation = await client.admin<Rotation>('POST', '/admin/v1/vault/rotate-master/commit',
        { masterKeyId: prepared.masterKeyId, proof: rotationProof(key) });
      io.stderr.write(`master key rotated (id ${rotation.masterKeyId}, ${rotation.rewrapped} secret version(s) re-wrapped). `
        + 'Set BULWARK_MASTER_KEY to the new key before the gateway restarts: the old key no longer opens the vault\n');
    });
  return vault;
}
