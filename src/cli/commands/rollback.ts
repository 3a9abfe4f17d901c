// `bulwark rollback <name>`: make an earlier stored version active again (the previous one by default).

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';
import { positiveInt } from '../args.ts';

export function rollbackCommand(io: CliIo): Command {
  return new Command('rollback')
    .description('activate an earlier version of a function')
    .argument('<name>', 'function name')
    .option('--to <version>', 'version to activate (default: the one before the active version)', positiveInt)
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { to?: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const body = opts.to === undefined ? {} : { version: opts.to };
      const result = await client.admin<{ name: string; version: number; sha256: string }>(
        'POST', `/admin/v1/functions/${encodeURIComponent(name)}/rollback`, body);
      if (opts.json) return printJson(io, result);
      io.stdout.write(`${result.name}@${result.version} is active (sha256 ${result.sha256})\n`);
    });
}
