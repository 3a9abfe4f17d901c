// Entry point of the `bulwark` CLI: assembles one commander command per file in ./commands and turns
// every failure into one line on stderr — `error <code>: <message>` — with exit code 2 for usage errors
// and 1 for everything else. Stacks only with BULWARK_DEBUG=1.

import { readFileSync } from 'node:fs';
import { Command, CommanderError } from 'commander';
import { BulwarkError, isBulwarkError } from '../errors.ts';
import { RemoteError } from './client.ts';
import type { CliIo } from './io.ts';
import { blocksCommand } from './commands/blocks.ts';
import { deployCommand } from './commands/deploy.ts';
import { doctorCommand } from './commands/doctor.ts';
import { guardsCommand } from './commands/guards.ts';
import { initCommand } from './commands/init.ts';
import { invokeCommand } from './commands/invoke.ts';
import { keysCommand } from './commands/keys.ts';
import { listCommand } from './commands/list.ts';
import { logsCommand } from './commands/logs.ts';
import { publishCommand } from './commands/publish.ts';
import { deadLettersCommand } from './commands/dead-letters.ts';
import { rmCommand } from './commands/rm.ts';
import { secretsCommand, vaultCommand } from './commands/secrets.ts';
import { rollbackCommand } from './commands/rollback.ts';
import { serveCommand } from './commands/serve.ts';
import { spendCommand } from './commands/spend.ts';
import { signCommand } from './commands/sign.ts';
import { publishersCommand } from './commands/publishers.ts';
import { policyCommand } from './commands/policy.ts';
import { scanCommand } from './commands/scan.ts';
import { advisoriesCommand } from './commands/advisories.ts';
import { importCommand } from './commands/import.ts';
import { incidentsCommand } from './commands/incidents.ts';
import { disableCommand, enableCommand } from './commands/disable.ts';
import { inventoryCommand } from './commands/inventory.ts';
import { auditCommand } from './commands/audit.ts';

export function buildProgram(io: CliIo): Command {
  const program = new Command('bulwark')
    .description('Bulwark: secure-by-design functions as a service')
    .version(readVersion(), '-V, --version')
    .showSuggestionAfterError();
  for (const cmd of [
    initCommand(io), deployCommand(io), invokeCommand(io), listCommand(io), logsCommand(io),
    rollbackCommand(io), rmCommand(io), serveCommand(io), keysCommand(io), doctorCommand(io),
    blocksCommand(io), guardsCommand(io),
    publishCommand(io), deadLettersCommand(io),
    spendCommand(io),
    secretsCommand(io), vaultCommand(io),
    signCommand(io), publishersCommand(io),
    policyCommand(io),
    scanCommand(io), advisoriesCommand(io), importCommand(io),
    incidentsCommand(io),
    disableCommand(io), enableCommand(io), inventoryCommand(io),
    auditCommand(io),
  ]) program.addCommand(cmd);
  quietCommander(program, io);
  return program;
}

/** Commander prints and exits on its own by default; we want one error format and our exit codes. */
function quietCommander(cmd: Command, io: CliIo): void {
  cmd.exitOverride().configureOutput({
    writeOut: (s) => io.stdout.write(s),
    writeErr: (s) => io.stderr.write(s),
    outputError: () => {},
  });
  for (const sub of cmd.commands) quietCommander(sub, io);
}

/** Runs the CLI and returns the process exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    await buildProgram(io).parseAsync(argv, { from: 'user' });
    return 0;
  } catch (err) {
    return report(err, io);
  }
}

/** Errors that mean "the command was asked something it cannot do" (exit 2), as a bad flag does. */
const USAGE_CODES = new Set<string>(['BWK_E_CLI_USAGE', 'BWK_E_SCANNER_ROOT_INVALID', 'BWK_E_SCANNER_RULE_UNKNOWN', 'BWK_E_SCANNER_BASELINE_INVALID', 'BWK_E_SCANNER_INCOMPLETE']);

function report(err: unknown, io: CliIo): number {
  const debug = io.env.BULWARK_DEBUG === '1';
  if (err instanceof CommanderError) {
    if (err.exitCode === 0) return 0; // --help, --version
    io.stderr.write(`error BWK_E_CLI_USAGE: ${err.message.replace(/^error: /, '')} (see bulwark --help)\n`);
    return 2;
  }
  if (err instanceof RemoteError) {
    // The request id points into the gateway's logs; without one (invoke --local, whose gateway and home
    // are gone, its logs printed above) there is nothing to point at.
    const where = err.requestId ? ` (HTTP ${err.status}, request id ${err.requestId})` : '';
    io.stderr.write(`error ${err.code}: ${err.message}${where}\n`);
    return 1;
  }
  const known = isBulwarkError(err) ? err : new BulwarkError('BWK_E_CLI_UNEXPECTED', [String((err as Error)?.message ?? err)]);
  io.stderr.write(`error ${known.code}: ${known.message}\n`);
  if (debug) {
    if (known.detail) io.stderr.write(JSON.stringify(known.detail, null, 2) + '\n');
    io.stderr.write(String((err as Error)?.stack ?? '') + '\n');
  }
  return USAGE_CODES.has(known.code) ? 2 : 1;
}

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return pkg.version;
}

if (import.meta.main) {
  const code = await run(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    // A terminal with no width (some pseudo-terminals report 0 columns) sends ora's line wrapping into
    // a busy loop, and TERM=dumb cannot redraw: both get plain progress lines.
    interactive: Boolean(process.stderr.isTTY) && !process.env.CI && process.env.TERM !== 'dumb' && (process.stderr.columns ?? 0) > 0,
  });
  process.exitCode = code;
}
