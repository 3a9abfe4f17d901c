// `bulwark policy suggest <name>`: the minimal `permissions` block for a function, from what its code
// references and what it was seen using; `bulwark policy check [name]`: grants a function does not use,
// exit code 1 when there is any (for CI). Both read GET /admin/v1/policy (docs/policy.md).

import { Command } from 'commander';
import { BulwarkError } from '../../errors.ts';
import { createClient, resolveTarget } from '../client.ts';
import { printJson, printTable, type CliIo } from '../io.ts';
import type { PolicyReport } from '../../policy/analyze.ts';

async function fetchReports(io: CliIo, name: string | undefined): Promise<PolicyReport[]> {
  const client = createClient(resolveTarget(io.env));
  const answer = await client.admin<{ reports: PolicyReport[] }>('GET', name ? `/admin/v1/policy/${encodeURIComponent(name)}` : '/admin/v1/policy');
  return answer.reports;
}

/** What the suggestion cannot see, as YAML comments so the output stays paste-ready. */
function caveats(r: PolicyReport): string[] {
  const lines: string[] = [];
  if (r.referenced.dynamicSecrets > 0) lines.push(`${r.referenced.dynamicSecrets} secrets.get call(s) compute the name: only names seen at run time are kept`);
  if (r.referenced.dynamicEgress > 0) lines.push(`${r.referenced.dynamicEgress} fetch call(s) compute the URL: only hosts contacted at run time are kept`);
  if (r.notGranted.secrets.length > 0) lines.push(`used but not granted (refused at run time): secrets ${r.notGranted.secrets.join(', ')}`);
  if (r.notGranted.egress.length > 0) lines.push(`used but not granted (refused at run time): egress ${r.notGranted.egress.join(', ')}`);
  return lines;
}

export function policyCommand(io: CliIo): Command {
  const policy = new Command('policy').description('least privilege: suggest the minimal permissions, find unused grants');

  policy.command('suggest')
    .description('print the minimal permissions block for a function (YAML, ready to paste into bulwark.yaml)')
    .argument('<name>', 'function name')
    .option('--json', 'print the whole report as JSON')
    .action(async (name: string, opts: { json?: boolean }) => {
      const [report] = await fetchReports(io, name);
      if (opts.json) return printJson(io, report);
      const r = report!;
      const header = [`suggested for ${r.function} v${r.version}: ${r.suggested.secrets.length}/${r.granted.secrets.length} secret(s), ${r.suggested.egress.length}/${r.granted.egress.length} egress host(s) kept`, ...caveats(r)];
      io.stdout.write(header.map((l) => `# ${l}\n`).join('') + r.suggestedYaml);
    });

  policy.command('check')
    .description('list grants never used, and egress never contacted; exit code 1 on unused grants')
    .argument('[name]', 'one function (default: every function in your scope)')
    .option('--json', 'print the reports as JSON')
    .action(async (name: string | undefined, opts: { json?: boolean }) => {
      const reports = await fetchReports(io, name);
      const rows = reports.flatMap((r) => r.findings.map((f) => ({ function: r.function, grant: f.grant, finding: f.kind, note: f.note ?? '' })));
      if (opts.json) printJson(io, reports);
      else if (rows.length === 0) io.stdout.write(`No unused grants in ${reports.length} function(s).\n`);
      else printTable(io, rows, { function: 'FUNCTION', grant: 'GRANT', finding: 'FINDING', note: 'NOTE' });
      const over = reports.flatMap((r) => r.findings.filter((f) => f.overPrivileged).map(() => r.function));
      if (over.length > 0) throw new BulwarkError('BWK_E_POLICY_OVER_PRIVILEGED', [over.length, [...new Set(over)].join(', ')]);
    });

  return policy;
}
