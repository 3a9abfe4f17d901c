// `bulwark rm <name>`: remove a function and all its versions.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';

export function rmCommand(io: CliIo): Command {
  return new Command('rm')
    .description('remove a function and all its versions')
    .argument('<name>', 'function name')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      await client.admin('DELETE', `/admin/v1/functions/${encodeURIComponent(name)}`);
      if (opts.json) return printJson(io, { name, removed: true });
      io.stdout.write(`removed ${name}\n`);
    });
}
