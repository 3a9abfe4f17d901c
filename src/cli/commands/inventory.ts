// `bulwark inventory`: every function with its owner, versions, dates, state, grants and flags
// (src/lifecycle/inventory.ts; docs/inventory.md says what each flag means).

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';
import type { InventoryEntry } from '../../lifecycle/inventory.ts';

/** Dates to the day: the table is for reading, --json has the exact times. */
const day = (iso: string | null) => (iso ? iso.slice(0, 10) : 'never');

function flagsOf(e: InventoryEntry): string {
  const f = Object.entries(e.flags).filter(([, on]) => on).map(([k]) => (k === 'expiringSoon' ? 'expiring-soon' : k));
  return f.length > 0 ? f.join(',') : '-';
}

function grantsOf(e: InventoryEntry): string {
  const parts = [
    ...e.grants.egress.map((h) => `egress:${h}`),
    ...e.grants.secrets.map((s) => `secret:${s}`),
    ...Object.entries(e.grants.kv).map(([ns, level]) => `kv:${ns}(${level === 'read-write' ? 'rw' : 'r'})`),
    ...e.grants.invoke.map((f) => `invoke:${f}`),
  ];
  return parts.length > 0 ? parts.join(' ') : '-';
}

export function inventoryCommand(io: CliIo): Command {
  return new Command('inventory')
    .description('list every function with owner, versions, last use, expiry, state, grants and flags')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<{ at: string; staleAfterDays: number; functions: InventoryEntry[] }>('GET', '/admin/v1/inventory');
      if (opts.json) return printJson(io, answer);
      if (answer.functions.length === 0) {
        io.stdout.write('No functions deployed (or none in your key\'s scope).\n');
        return;
      }
      printTable(io, answer.functions.map((e) => ({
        name: e.name,
        owner: e.owner || '(none)',
        versions: `${e.versions.active}/${e.versions.latest} (${e.versions.count})`,
        created: day(e.createdAt),
        deployed: day(e.lastDeployAt),
        invoked: day(e.lastInvokedAt),
        expires: e.expires,
        state: e.state === 'disabled' ? `disabled: ${e.disabled!.reason.slice(0, 40)}` : 'active',
        findings: e.findings.scanned ? String(e.findings.open) : 'not scanned',
        incidents: e.openIncidents,
        flags: flagsOf(e),
        grants: grantsOf(e),
      })), {
        name: 'NAME', owner: 'OWNER', versions: 'ACTIVE/LATEST (N)', created: 'CREATED', deployed: 'DEPLOYED', invoked: 'INVOKED',
        expires: 'EXPIRES', state: 'STATE', findings: 'FINDINGS', incidents: 'INCIDENTS', flags: 'FLAGS', grants: 'GRANTS',
      });
      io.stdout.write(`\nstale: not invoked for ${answer.staleAfterDays} days. unowned: no usable admin/deployer key scoped to it by name.\n`);
    });
}
