// `bulwark disable <name> --reason` and `bulwark enable <name> --reason`: the kill switch
// (src/lifecycle/disable.ts). A disabled function keeps its versions, keys and data; every invocation
// of it is refused (403 BWK_E_GATEWAY_FUNCTION_DISABLED) until it is enabled again.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';

function stateCommand(io: CliIo, verb: 'disable' | 'enable', description: string): Command {
  return new Command(verb)
    .description(description)
    .argument('<name>', 'function name')
    .requiredOption('--reason <text>', 'why (kept in the audit trail; never shown to callers)')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { reason: string; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<{ name: string; state: string; changed: boolean }>(
        'POST', `/admin/v1/functions/${encodeURIComponent(name)}/${verb}`, { reason: opts.reason },
      );
      if (opts.json) return printJson(io, answer);
      io.stdout.write(answer.changed ? `${verb}d ${name}\n` : `${name} was already ${answer.state === 'disabled' ? 'disabled' : 'enabled'}\n`);
    });
}

export function disableCommand(io: CliIo): Command {
  return stateCommand(io, 'disable', 'disable a function: refuse every invocation of it and stop its workers');
}

export function enableCommand(io: CliIo): Command {
  return stateCommand(io, 'enable', 'enable a disabled function again (admin)');
}
