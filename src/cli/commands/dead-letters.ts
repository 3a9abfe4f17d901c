// `bulwark dead-letters list`: queue messages and scheduled runs that were given up on, newest first, with
// why (the error code, and the guard and rule that refused it), how many attempts were made, and the
// payload. Reads GET /admin/v1/dead-letters (roles that may read logs).

import { Command } from 'commander';
import { positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';
// The admin API answers with the store's own shape.
import type { DeadLetter } from '../../store/store.ts';


/** Wide enough to recognise a payload in a table; --json shows it whole. */
const PREVIEW = 60;

/**
 * The stored payload is JSON text, so C0 controls are already escaped; C1 controls and line separators
 * are not, and some terminals act on them. A payload is whatever a publisher sent: it must not drive the
 * terminal of whoever inspects it.
 */
function printable(text: string): string {
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

export function deadLettersCommand(io: CliIo): Command {
  const cmd = new Command('dead-letters').description('inspect queue messages and scheduled runs that were given up on');

  cmd.command('list')
    .description('list dead letters, newest first')
    .option('-f, --function <name>', 'only this function')
    .option('-n, --limit <n>', 'at most this many (1-100)', positiveInt, 20)
    .option('--json', 'print JSON, payloads whole')
    .action(async (opts: { function?: string; limit: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const query = new URLSearchParams({ limit: String(opts.limit), ...(opts.function ? { function: opts.function } : {}) });
      const { deadLetters } = await client.admin<{ deadLetters: DeadLetter[] }>('GET', `/admin/v1/dead-letters?${query}`);
      if (opts.json) return printJson(io, { deadLetters });
      if (deadLetters.length === 0) {
        io.stderr.write('no dead letters\n');
        return;
      }
      printTable(io, deadLetters.map((d) => ({
        at: d.at,
        function: `${d.function}@${d.version}`,
        from: d.source === 'queue' ? d.subject ?? '-' : 'schedule',
        reason: d.reason,
        by: d.guard ? `${d.guard}${d.rule ? `/${d.rule}` : ''}` : 'handler',
        attempts: d.attempts,
        payload: printable(d.payload.length > PREVIEW ? `${d.payload.slice(0, PREVIEW)}… (${d.payloadBytes} bytes)` : d.payload),
      })), { at: 'AT', function: 'FUNCTION', from: 'FROM', reason: 'REASON', by: 'REFUSED BY', attempts: 'ATTEMPTS', payload: 'PAYLOAD' });
    });

  return cmd;
}
