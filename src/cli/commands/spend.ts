// `bulwark spend [name]`: metered spend against budgets in the current period, the tier each budget is
// in, and a forecast to the period end at the rate so far (GET /admin/v1/spend).

import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';
import type { ScopeView } from '../../metering/ledger.ts';

interface SpendAnswer {
  currency: string;
  functions?: ScopeView[];
  global?: ScopeView;
  callers?: ScopeView[];
}

/** Amounts without float noise or exponents: up to 9 decimals (nano units), trailing zeros dropped. */
function amount(n: number | null): string | null {
  if (n === null) return null;
  return n.toFixed(9).replace(/\.?0+$/, '');
}

function rowOf(v: ScopeView, name: string) {
  return {
    name,
    spend: amount(v.spend),
    limit: amount(v.limit),
    percent: v.percent === null ? null : `${v.percent}%`,
    tier: v.tier,
    forecast: amount(v.forecast) + (v.forecastExhaustedAt ? ` (limit at ${v.forecastExhaustedAt})` : ''),
    invocations: v.invocations,
    periodEnd: v.periodEnd,
    ...(v.goodStanding === undefined ? {} : { standing: v.goodStanding ? 'good' : 'new' }),
  };
}

export function spendCommand(io: CliIo): Command {
  return new Command('spend')
    .description('show spend, budget, tier and forecast per function (or per caller, or global)')
    .argument('[name]', 'one function')
    .option('--callers', 'per caller: of the function named, or across all functions with --global')
    .option('--limit <n>', 'with --callers: the n biggest spenders (default 100)', positiveInt)
    .option('--global', 'the global budget (all functions together)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, opts: { callers?: boolean; limit?: number; global?: boolean; json?: boolean }) => {
      if (name && opts.global) throw new BulwarkError('BWK_E_CLI_USAGE', ['give a function name or --global, not both']);
      if (opts.callers && !name && !opts.global) throw new BulwarkError('BWK_E_CLI_USAGE', ['--callers needs a function name or --global']);
      if (opts.limit !== undefined && !opts.callers) throw new BulwarkError('BWK_E_CLI_USAGE', ['--limit needs --callers']);
      const q = new URLSearchParams();
      if (name) q.set('function', name);
      if (opts.global) q.set('global', 'true');
      if (opts.callers) q.set('callers', 'true');
      if (opts.limit !== undefined) q.set('limit', String(opts.limit));
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<SpendAnswer>('GET', `/admin/v1/spend${q.size > 0 ? `?${q}` : ''}`);
      if (opts.json) return printJson(io, answer);
      const columns = {
        name: opts.callers ? 'CALLER' : 'FUNCTION', spend: `SPEND (${answer.currency})`, limit: 'LIMIT', percent: 'USED',
        tier: 'TIER', forecast: 'FORECAST', invocations: 'CALLS', periodEnd: 'PERIOD ENDS',
        ...(opts.callers ? { standing: 'STANDING' } : {}),
      };
      const rows = opts.callers
        ? (answer.callers ?? []).map((v) => rowOf(v, v.caller ?? v.key))
        : [...(answer.global ? [rowOf(answer.global, 'global')] : []), ...(answer.functions ?? []).map((v) => rowOf(v, v.function ?? v.key))];
      if (rows.length === 0) {
        io.stdout.write(opts.callers ? 'No callers this period.\n' : 'No functions deployed.\n');
        return;
      }
      printTable(io, rows, columns);
    });
}
