// `bulwark rm <name>`: remove a function and all its versions, offboarding it (src/lifecycle/offboard.ts):
// keys scoped to it alone revoked, secrets only it granted deleted, kv kept unless --purge-kv.

import { Command } from 'commander';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, type CliIo } from '../io.ts';
import type { OffboardReport } from '../../lifecycle/offboard.ts';

export function rmCommand(io: CliIo): Command {
  return new Command('rm')
    .description('remove a function and all its versions')
    .argument('<name>', 'function name')
    .option('--purge-kv', 'also delete the kv namespaces only this function grants (admin scoped to *); default: keep them')
    .option('--json', 'print JSON')
    .action(async (name: string, opts: { json?: boolean; purgeKv?: boolean }) => {
      const client = createClient(resolveTarget(io.env));
      const answer = await client.admin<{ offboarding: OffboardReport }>('DELETE', `/admin/v1/functions/${encodeURIComponent(name)}${opts.purgeKv ? '?purgeKv=true' : ''}`);
      const r = answer.offboarding;
      if (opts.json) return printJson(io, { name, removed: true, offboarding: r });
      io.stdout.write(`removed ${name}\n`);
      const list = (xs: string[]) => (xs.length > 0 ? xs.join(', ') : 'none');
      io.stdout.write(`  keys revoked: ${list(r.revokedKeys)}; keys narrowed: ${list(r.narrowedKeys)}\n`);
      io.stdout.write(`  secrets deleted: ${list(r.deletedSecrets)}; kept (granted elsewhere): ${list(r.keptSecrets.map((s) => `${s.name} (${s.grantedBy.join(', ')})`))}\n`);
      io.stdout.write(`  kv purged: ${list(r.purgedKv)}${r.purgedKv.length > 0 ? ` (${r.kvEntriesDeleted} entries)` : ''}; kept: ${list(r.keptKv.map((k) => k.namespace))}\n`);
    });
}
