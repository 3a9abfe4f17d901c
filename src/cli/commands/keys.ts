// `bulwark keys create|list|revoke`: API keys, scoped to a role and to functions. A new key's secret is
// printed once, to stdout only; the gateway keeps just its hash.

import { Command, Option } from 'commander';
import { nameList, positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface KeyRow {
  id: string;
  role: string;
  functions: string[];
  label: string;
  createdAt: string;
  expiresAt: string | null;
  revokedAt: string | null;
}

export function keysCommand(io: CliIo): Command {
  const keys = new Command('keys').description('create, list and revoke API keys');

  keys.command('create')
    .description('create an API key (the key is shown once)')
    .addOption(new Option('--role <role>', 'what the key may do').choices(['admin', 'deployer', 'invoker', 'viewer']).makeOptionMandatory())
    .requiredOption('--functions <names>', 'comma-separated function names the key applies to, or *', nameList)
    .option('--label <text>', 'a note saying who or what uses the key')
    .option('--expires-in-days <n>', 'days until the key stops working', positiveInt)
    .option('--json', 'print JSON')
    .action(async (opts: { role: string; functions: string[]; label?: string; expiresInDays?: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const created = await client.admin<KeyRow & { key: string }>('POST', '/admin/v1/keys', {
        role: opts.role, functions: opts.functions, label: opts.label, expiresInDays: opts.expiresInDays,
      });
      if (opts.json) return printJson(io, created);
      io.stdout.write(`${created.key}\n`);
      io.stderr.write(`key ${created.id} (${created.role} on ${created.functions.join(',')}) created; `
        + 'the key above is shown only once: store it now\n');
    });

  keys.command('list')
    .description('list API keys (never their secrets)')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { keys: rows } = await client.admin<{ keys: KeyRow[] }>('GET', '/admin/v1/keys');
      if (opts.json) return printJson(io, { keys: rows });
      printTable(io, rows, {
        id: 'ID', role: 'ROLE', functions: 'FUNCTIONS', label: 'LABEL', createdAt: 'CREATED', expiresAt: 'EXPIRES',
        revokedAt: 'REVOKED',
      });
    });

  keys.command('revoke')
    .description('revoke an API key by id')
    .argument('<id>', 'key id (from bulwark keys list)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      await client.admin('DELETE', `/admin/v1/keys/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(io, { id, revoked: true });
      io.stdout.write(`revoked ${id}\n`);
    });

  return keys;
}
