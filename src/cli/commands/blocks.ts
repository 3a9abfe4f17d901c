// `bulwark blocks list|add|rm`: the IP blocks in force, their history with evidence, and blocking or
// unblocking an address by hand. Every change is recorded by the gateway (history, ip.blocked /
// ip.unblocked events) with the key that made it.

import { Command } from 'commander';
import { durationSec, positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface BlockRow {
  address: string;
  kind: string;
  reason: string;
  actor: string;
  createdAt: string;
  expiresAt: string | null;
  offence: number;
  evidence: Array<{ at: string; type: string; guard?: string; rule?: string | null; reason?: string; requestId?: string }>;
}

interface HistoryRow {
  address: string;
  action: string;
  kind: string;
  reason: string;
  actor: string;
  at: string;
  expiresAt: string | null;
  evidence: BlockRow['evidence'];
}

/** "injection/sql ×3, auth.failed/key-unknown ×2": what an automatic block was made of, in one cell. */
function summarise(evidence: BlockRow['evidence']): string {
  const counts = new Map<string, number>();
  for (const e of evidence) {
    const what = e.guard ? `${e.guard}${e.rule ? `/${e.rule}` : ''}` : `${e.type}${e.reason ? `/${e.reason}` : ''}`;
    counts.set(what, (counts.get(what) ?? 0) + 1);
  }
  return [...counts].map(([what, n]) => `${what} ×${n}`).join(', ');
}

export function blocksCommand(io: CliIo): Command {
  const blocks = new Command('blocks').description('list, add and remove IP blocks');

  blocks.command('list')
    .description('list the blocks in force (or, with --history, every block and unblock with its evidence)')
    .option('--history', 'show the history instead, newest first')
    .option('--address <ip>', 'with --history: one address only')
    .option('--limit <n>', 'with --history: at most n entries (default 100)', positiveInt)
    .option('--json', 'print JSON (with the full evidence)')
    .action(async (opts: { history?: boolean; address?: string; limit?: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      if (opts.history) {
        const query = new URLSearchParams();
        if (opts.address) query.set('address', opts.address);
        if (opts.limit) query.set('limit', String(opts.limit));
        const { history } = await client.admin<{ history: HistoryRow[] }>('GET', `/admin/v1/blocks/history${query.size ? `?${query}` : ''}`);
        if (opts.json) return printJson(io, { history });
        return printTable(io, history.map((h) => ({ ...h, evidence: summarise(h.evidence) })), {
          at: 'AT', action: 'ACTION', address: 'ADDRESS', kind: 'KIND', actor: 'BY', reason: 'REASON', expiresAt: 'UNTIL', evidence: 'EVIDENCE',
        });
      }
      const { blocks: rows } = await client.admin<{ blocks: BlockRow[] }>('GET', '/admin/v1/blocks');
      if (opts.json) return printJson(io, { blocks: rows });
      printTable(io, rows.map((b) => ({ ...b, expiresAt: b.expiresAt ?? 'until removed', evidence: summarise(b.evidence) })), {
        address: 'ADDRESS', kind: 'KIND', createdAt: 'SINCE', expiresAt: 'UNTIL', offence: 'OFFENCE', actor: 'BY', reason: 'REASON', evidence: 'EVIDENCE',
      });
    });

  blocks.command('add')
    .description('block an address on every route (not one on ipBlock.allowlist, nor your own)')
    .argument('<address>', 'IPv4 or IPv6 address')
    .requiredOption('--reason <text>', 'why, for the record')
    .option('--ttl <duration>', 'lift the block after this long (90s, 10m, 12h, 7d); default: until removed', durationSec)
    .option('--json', 'print JSON')
    .action(async (address: string, opts: { reason: string; ttl?: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { block } = await client.admin<{ block: BlockRow }>('POST', '/admin/v1/blocks', { address, reason: opts.reason, ttlSec: opts.ttl });
      if (opts.json) return printJson(io, { block });
      io.stdout.write(`blocked ${block.address} ${block.expiresAt ? `until ${block.expiresAt}` : 'until removed'}\n`);
    });

  blocks.command('rm')
    .description('lift the block on an address')
    .argument('<address>', 'IPv4 or IPv6 address')
    .option('--reason <text>', 'why, for the record')
    .option('--json', 'print JSON')
    .action(async (address: string, opts: { reason?: string; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const query = opts.reason ? `?${new URLSearchParams({ reason: opts.reason })}` : '';
      const { unblocked } = await client.admin<{ unblocked: BlockRow }>('DELETE', `/admin/v1/blocks/${encodeURIComponent(address)}${query}`);
      if (opts.json) return printJson(io, { unblocked });
      io.stdout.write(`unblocked ${unblocked.address}\n`);
    });

  return blocks;
}
