// `bulwark guards`: the guard chain of the running gateway, in the order it runs, with how many requests
// each guard has refused since the gateway started, by rule.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface GuardsAnswer {
  disabled: boolean;
  order: string[];
  /** "<guard>/<rule>" → count */
  rejections: Record<string, number>;
}

export function guardsCommand(io: CliIo): Command {
  return new Command('guards')
    .description('show the guard chain in order, with the requests each guard refused since start')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<GuardsAnswer>('GET', '/admin/v1/guards');
      if (opts.json) return printJson(io, answer);
      if (answer.disabled) {
        io.stdout.write('the guard chain is DISABLED (bench-only gateway): nothing is checked\n');
        return;
      }
      const rows = answer.order.map((guard, i) => {
        const rules = Object.entries(answer.rejections).filter(([key]) => key.startsWith(`${guard}/`));
        const total = rules.reduce((sum, [, n]) => sum + n, 0);
        const byRule = rules.filter(([key]) => !key.endsWith('/-')).map(([key, n]) => `${key.slice(guard.length + 1)} ${n}`).join(', ');
        return { step: i + 1, guard, refused: total, rules: byRule };
      });
      printTable(io, rows, { step: '#', guard: 'GUARD', refused: 'REFUSED', rules: 'BY RULE' });
    });
}
