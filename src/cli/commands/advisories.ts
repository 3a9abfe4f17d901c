// `bulwark advisories update --from <url|zip|dir|file> [--to <dir>]`: refreshes the OSV advisory data the
// dependency scan reads offline (docs/scanner-deps.md). All or nothing: an invalid record anywhere in the
// source stops the update before the store is touched.

import { resolve } from 'node:path';
import { Command } from 'commander';
import { updateAdvisories } from '../../scanner/engine/deps/advisory-update.ts';
import { defaultAdvisories } from '../../scanner/engine/deps/index.ts';
import type { CliIo } from '../io.ts';

export function advisoriesCommand(io: CliIo): Command {
  const advisories = new Command('advisories').description('the OSV advisory data used by the dependency scan');

  advisories.command('update')
    .description('replace the advisory data with an OSV dump (directory, .zip such as npm/all.zip, .json/.jsonl, or URL)')
    .requiredOption('--from <source>', 'a directory of OSV .json/.jsonl files, a .zip, one file, or an http(s) URL of either')
    .option('--to <dir>', 'advisory directory to replace (default: the data shipped with Bulwark)')
    .action(async (opts: { from: string; to?: string }) => {
      const from = /^https?:\/\//i.test(opts.from) ? opts.from : resolve(io.cwd, opts.from);
      const to = resolve(io.cwd, opts.to ?? defaultAdvisories);
      const c = await updateAdvisories({ from, to }, { fetch: globalThis.fetch, now: () => new Date() });
      io.stdout.write(`wrote ${c.written} npm advisories (${c.withdrawn} withdrawn) from ${c.files} file(s) to ${to}`
        + `${c.skipped > 0 ? `; ${c.skipped} non-npm record(s) left out` : ''}${c.duplicates > 0 ? `; ${c.duplicates} duplicate id(s) skipped` : ''}\n`);
    });

  return advisories;
}
