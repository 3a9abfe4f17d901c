// `bulwark logs <name>`: what a function logged through context.log, newest last.

import { Command } from 'commander';
import { positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';

export interface LogRow {
  at: string;
  function: string;
  version: number;
  requestId: string;
  level: string;
  message: string;
  fields?: Record<string, unknown>;
}

export function logsCommand(io: CliIo): Command {
  return new Command('logs')
    .description('show the logs a function wrote with context.log')
    .argument('<name>', 'function name')
    .option('-n, --limit <n>', 'most recent entries to show', positiveInt, 100)
    .option('--request-id <id>', 'only entries of this request')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { limit: number; requestId?: string; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const q = new URLSearchParams({ limit: String(opts.limit) });
      if (opts.requestId) q.set('requestId', opts.requestId);
      const { logs } = await client.admin<{ logs: LogRow[] }>('GET', `/admin/v1/functions/${encodeURIComponent(name)}/logs?${q}`);
      if (opts.json) return printJson(io, { logs });
      for (const l of logs) {
        const fields = l.fields && Object.keys(l.fields).length > 0 ? ' ' + JSON.stringify(l.fields) : '';
        io.stdout.write(`${l.at} ${l.level.toUpperCase().padEnd(5)} @${l.version} ${l.requestId} ${l.message}${fields}\n`);
      }
    });
}
