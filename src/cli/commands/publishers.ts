// `bulwark publishers add|list|revoke`: the publisher public keys whose signatures deploys may carry
// (docs/signing.md). Admins scoped to * only.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface PublisherRow {
  id: string;
  name: string;
  publicKey: string;
  createdAt: string;
  revokedAt: string | null;
}

export function publishersCommand(io: CliIo): Command {
  const publishers = new Command('publishers').description('register, list and revoke code-signing publisher keys');

  publishers.command('add')
    .description('register a publisher public key (from `bulwark sign keygen`)')
    .requiredOption('--name <text>', 'who signs with this key')
    .requiredOption('--public-key <base64>', 'the public key printed by `bulwark sign keygen`')
    .option('--json', 'print JSON')
    .action(async (opts: { name: string; publicKey: string; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const added = await client.admin<PublisherRow>('POST', '/admin/v1/publishers', { name: opts.name, publicKey: opts.publicKey });
      if (opts.json) return printJson(io, added);
      io.stdout.write(`${added.id}\n`);
    });

  publishers.command('list')
    .description('list publisher keys')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { publishers: rows } = await client.admin<{ publishers: PublisherRow[] }>('GET', '/admin/v1/publishers');
      if (opts.json) return printJson(io, { publishers: rows });
      printTable(io, rows, { id: 'ID', name: 'NAME', createdAt: 'CREATED', revokedAt: 'REVOKED' });
    });

  publishers.command('revoke')
    .description('revoke a publisher key: deploys signed with it are refused from now on')
    .argument('<id>', 'key id (from bulwark publishers list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { revoked } = await client.admin<{ revoked: boolean }>('DELETE', `/admin/v1/publishers/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(io, { id, revoked });
      io.stdout.write(revoked ? `revoked ${id}\n` : `${id} was already revoked\n`);
    });

  return publishers;
}
