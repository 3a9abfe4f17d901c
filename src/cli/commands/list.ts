// `bulwark list`: the deployed functions and their active versions.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';
import type { FunctionSummary } from '../../store/store.ts';

export function listCommand(io: CliIo): Command {
  return new Command('list')
    .alias('ls')
    .description('list deployed functions')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { functions } = await client.admin<{ functions: FunctionSummary[] }>('GET', '/admin/v1/functions');
      if (opts.json) return printJson(io, { functions });
      if (functions.length === 0) {
        io.stdout.write('No functions deployed. Deploy one with: bulwark deploy <dir>\n');
        return;
      }
      printTable(io, functions.map((f) => ({ ...f, sha256: f.sha256.slice(0, 12) })), {
        name: 'NAME', activeVersion: 'ACTIVE', latestVersion: 'LATEST', owner: 'OWNER', expires: 'EXPIRES',
        sha256: 'SHA256', updatedAt: 'UPDATED',
      });
    });
}
