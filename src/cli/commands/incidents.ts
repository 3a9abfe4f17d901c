// `bulwark incidents list|show|ack|resolve`: incidents opened by alert rules (docs/incidents.md), their
// timelines, and acknowledging or resolving them. Every change is recorded by the gateway (timeline entry,
// incident.updated event) with the key that made it.

import { Command } from 'commander';
import { positiveInt } from '../args.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

interface IncidentRow {
  id: string;
  rule: string;
  severity: string;
  status: string;
  key: string;
  openedAt: string;
  updatedAt: string;
  matches: number;
  timeline: Array<{ at: string; kind: string; actor: string; summary: string }>;
}

const STATUSES = ['open', 'acknowledged', 'resolved'];

export function incidentsCommand(io: CliIo): Command {
  const incidents = new Command('incidents').description('list, show, acknowledge and resolve incidents');

  incidents.command('list')
    .description('list incidents, the most recently updated first')
    .option('--status <status>', `only incidents in this status (${STATUSES.join(', ')})`)
    .option('--limit <n>', 'at most n incidents (default 100)', positiveInt)
    .option('--json', 'print JSON')
    .action(async (opts: { status?: string; limit?: number; json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const query = new URLSearchParams();
      if (opts.status) query.set('status', opts.status);
      if (opts.limit) query.set('limit', String(opts.limit));
      const { incidents: rows } = await client.admin<{ incidents: Omit<IncidentRow, 'timeline'>[] }>('GET', `/admin/v1/incidents${query.size ? `?${query}` : ''}`);
      if (opts.json) return printJson(io, { incidents: rows });
      printTable(io, rows, {
        id: 'ID', status: 'STATUS', severity: 'SEVERITY', rule: 'RULE', key: 'KEY', matches: 'MATCHES', openedAt: 'OPENED', updatedAt: 'UPDATED',
      });
    });

  incidents.command('show')
    .description('show an incident with its timeline (triggers, actions and their outcomes, acks)')
    .argument('<id>', 'incident id (inc_…)')
    .option('--json', 'print JSON')
    .action(async (id: string, opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const { incident } = await client.admin<{ incident: IncidentRow }>('GET', `/admin/v1/incidents/${encodeURIComponent(id)}`);
      if (opts.json) return printJson(io, { incident });
      io.stdout.write(`${incident.id}  ${incident.status}  ${incident.severity}  rule ${incident.rule}  key ${incident.key}\n`);
      io.stdout.write(`opened ${incident.openedAt}, updated ${incident.updatedAt}, ${incident.matches} match(es)\n\n`);
      printTable(io, incident.timeline, { at: 'AT', kind: 'KIND', actor: 'BY', summary: 'WHAT' });
    });

  for (const [name, path, done] of [['ack', 'ack', 'acknowledged'], ['resolve', 'resolve', 'resolved']] as const) {
    incidents.command(name)
      .description(name === 'ack' ? 'acknowledge an open incident (someone is on it)' : 'resolve an open or acknowledged incident')
      .argument('<id>', 'incident id (inc_…)')
      .option('--note <text>', 'a note for the timeline')
      .option('--json', 'print JSON')
      .action(async (id: string, opts: { note?: string; json?: boolean }) => {
        const client = createClient(resolveTarget(io.env));
        const { incident } = await client.admin<{ incident: IncidentRow }>('POST', `/admin/v1/incidents/${encodeURIComponent(id)}/${path}`, opts.note ? { note: opts.note } : {});
        if (opts.json) return printJson(io, { incident });
        io.stdout.write(`${done} ${incident.id}\n`);
      });
  }

  return incidents;
}
