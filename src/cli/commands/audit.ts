// `bulwark audit verify|tail|query|export`: the audit ledger (docs/audit.md). Unlike the commands that
// talk to the admin API, these read the SQLite file of --home / BULWARK_HOME directly and read-only:
// verification must work offline, on a stopped gateway or on a copy of its file, and must not trust the
// process whose records it checks.

import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { loadConfig, resolveHome } from '../../config.ts';
import { BulwarkError } from '../../errors.ts';
import { openAuditReader } from '../../store/index.ts';
import type { AuditLog, AuditQuery, AuditRecord } from '../../store/store.ts';
import { verifyLedger } from '../../audit/verify.ts';
import { checkpointSignedBy, readNodeKey } from '../../audit/node-key.ts';
import { checkpointFileText, parseCheckpointFile } from '../../audit/checkpoint-file.ts';
import { formatSyslog, openSyslogSender, parseSyslogTarget } from '../../audit/syslog.ts';
import { durationSec, positiveInt } from '../args.ts';
import { printJson, printTable, type CliIo } from '../io.ts';

const PAGE = 1000;
const FOLLOW_POLL_MS = 1000;

interface HomeOption {
  home?: string;
}

function homeOf(io: CliIo, opts: HomeOption): string {
  return opts.home ? resolve(io.cwd, opts.home) : resolveHome(io.env);
}

/** Opens the ledger read-only for the duration of `fn`. */
async function withLedger<T>(io: CliIo, opts: HomeOption, fn: (audit: AuditLog, home: string) => Promise<T>): Promise<T> {
  const home = homeOf(io, opts);
  const { audit, close } = openAuditReader(loadConfig(home, {}, io.env));
  try {
    return await fn(audit, home);
  } finally {
    close();
  }
}

/** An ISO time, or a duration back from now ("15m", "24h", "7d"): normalised to ISO UTC, as records store it. */
function timeArg(value: string): string {
  if (/^[0-9]+[smhd]$/.test(value)) return new Date(Date.now() - durationSec(value) * 1000).toISOString();
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new InvalidArgumentError('must be an ISO time (2026-05-01T12:00:00Z) or a duration back from now (15m, 24h, 7d)');
  return new Date(t).toISOString();
}

function seqArg(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a record sequence number (0 or more)');
  return n;
}

/**
 * A record as printed: the details as the object they are, or as the stored text when that is not
 * JSON (a tampered record: `audit verify` names it; reading the ledger must still work).
 */
function view(r: AuditRecord): Omit<AuditRecord, 'details'> & { details: unknown } {
  try {
    return { ...r, details: JSON.parse(r.details) as unknown };
  } catch {
    return { ...r, details: r.details };
  }
}

function printRecords(io: CliIo, records: AuditRecord[], json: boolean | undefined): void {
  if (json) {
    printJson(io, records.map(view));
    return;
  }
  if (records.length === 0) {
    io.stdout.write('no audit records\n');
    return;
  }
  printTable(io, records, { seq: 'SEQ', at: 'AT', actor: 'ACTOR', action: 'ACTION', target: 'TARGET', outcome: 'OUTCOME', requestId: 'REQUEST' });
}

/** Runs a create-only file operation; an existing file is BWK_E_CLI_EXISTS, never overwritten. */
function exclusively<T>(file: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new BulwarkError('BWK_E_CLI_EXISTS', [file]);
    throw err;
  }
}

function verifyCommand(io: CliIo): Command {
  return new Command('verify')
    .description('check the hash chain and signed checkpoints; names the first bad record and exits 1 if any')
    .option('--home <dir>', 'data directory of the gateway (default BULWARK_HOME or ./.bulwark)')
    .option('--checkpoint <file>', 'also check against a checkpoint exported with `audit export --checkpoint-out`')
    .option('--json', 'print the result as JSON')
    .action(async (opts: HomeOption & { checkpoint?: string; json?: boolean }) => {
      let exported: ReturnType<typeof parseCheckpointFile> | undefined;
      if (opts.checkpoint) {
        let text: string;
        try {
          text = readFileSync(resolve(io.cwd, opts.checkpoint), 'utf8');
        } catch {
          throw new BulwarkError('BWK_E_AUDIT_CHECKPOINT_INVALID', ['it cannot be read']);
        }
        exported = parseCheckpointFile(text);
      }
      const result = await withLedger(io, opts, async (audit, home) => {
        // A copy of the file without the private key is checked with the exported checkpoint's public key.
        const key = readNodeKey(home) ?? exported?.key;
        return verifyLedger(audit, { ...(key ? { key } : {}), ...(exported ? { exported } : {}) });
      });
      if (opts.json) printJson(io, result);
      if (result.problem) throw new BulwarkError('BWK_E_AUDIT_VERIFY_FAILED', [result.problem.firstBadSeq, result.problem.reason]);
      if (!opts.json) {
        io.stdout.write(`audit ledger ok: ${result.records} records, head ${result.head.seq} (${result.head.hash.slice(0, 16)}…), `
          + `${result.checkpointsVerified} signed checkpoint(s) verified\n`);
      }
    });
}

function tailCommand(io: CliIo): Command {
  return new Command('tail')
    .description('print the last records, oldest first; --follow keeps printing new ones')
    .option('--home <dir>', 'data directory of the gateway (default BULWARK_HOME or ./.bulwark)')
    .option('-n, --lines <count>', 'how many records (default 20)', positiveInt)
    .option('-f, --follow', 'keep printing records as they are appended (polls every second)')
    .option('--json', 'print JSON (one array, or one record per line with --follow)')
    .action(async (opts: HomeOption & { lines?: number; follow?: boolean; json?: boolean }) => {
      await withLedger(io, opts, async (audit) => {
        const last = (await audit.query({ newestFirst: true, limit: opts.lines ?? 20 })).reverse();
        if (!opts.follow) {
          printRecords(io, last, opts.json);
          return;
        }
        const line = (r: AuditRecord) => io.stdout.write(opts.json
          ? JSON.stringify(view(r)) + '\n'
          : `${r.seq}  ${r.at}  ${r.actor}  ${r.action}  ${r.target || '-'}  ${r.outcome}  ${r.requestId ?? '-'}\n`);
        let after = last.at(-1)?.seq ?? 0;
        for (const r of last) line(r);
        for (;;) {
          await sleep(FOLLOW_POLL_MS);
          for (const r of await audit.query({ afterSeq: after, limit: PAGE })) {
            line(r);
            after = r.seq;
          }
        }
      });
    });
}

function queryCommand(io: CliIo): Command {
  return new Command('query')
    .description('records matching every given filter, oldest first')
    .option('--home <dir>', 'data directory of the gateway (default BULWARK_HOME or ./.bulwark)')
    .option('--action <type>', 'event type, e.g. auth.failed')
    .option('--actor <actor>', 'who acted, as recorded: key:<id>, jwt:<sub>, anonymous, system…')
    .option('--target <target>', 'function (name@version), key id, address, secret name…')
    .option('--request-id <id>', 'the request that caused it')
    .option('--since <time>', 'at or after: ISO time or a duration back from now (24h)', timeArg)
    .option('--until <time>', 'at or before: ISO time or a duration back from now', timeArg)
    .option('--limit <n>', 'at most this many (default 100)', positiveInt)
    .option('--json', 'print JSON')
    .action(async (opts: HomeOption & { action?: string; actor?: string; target?: string; requestId?: string; since?: string; until?: string; limit?: number; json?: boolean }) => {
      const filter: AuditQuery = {
        limit: opts.limit ?? 100,
        ...(opts.action !== undefined ? { action: opts.action } : {}),
        ...(opts.actor !== undefined ? { actor: opts.actor } : {}),
        ...(opts.target !== undefined ? { target: opts.target } : {}),
        ...(opts.requestId !== undefined ? { requestId: opts.requestId } : {}),
        ...(opts.since !== undefined ? { since: opts.since } : {}),
        ...(opts.until !== undefined ? { until: opts.until } : {}),
      };
      const records = await withLedger(io, opts, (audit) => audit.query(filter));
      printRecords(io, records, opts.json);
    });
}

function exportCommand(io: CliIo): Command {
  return new Command('export')
    .description('write records as JSON lines (stdout or --out), or send them to a syslog collector; --checkpoint-out saves the latest signed checkpoint')
    .option('--home <dir>', 'data directory of the gateway (default BULWARK_HOME or ./.bulwark)')
    .option('--after <seq>', 'only records after this sequence number (resume an export)', seqArg)
    .option('--out <file>', 'write JSON lines to this file instead of stdout (created, 0600; never overwritten)')
    .option('--syslog <target>', 'send RFC 5424 messages to udp://host:port or tcp://host:port (octet-counted) instead')
    .option('--checkpoint-out <file>', 'write the latest signed checkpoint and the node public key (for audit verify --checkpoint)')
    .action(async (opts: HomeOption & { after?: number; out?: string; syslog?: string; checkpointOut?: string }) => {
      if (opts.out && opts.syslog) throw new BulwarkError('BWK_E_CLI_USAGE', ['--out and --syslog exclude each other']);
      const target = opts.syslog ? parseSyslogTarget(opts.syslog) : undefined;
      await withLedger(io, opts, async (audit, home) => {
        if (opts.checkpointOut) {
          const key = readNodeKey(home);
          const latest = (await audit.checkpoints()).at(-1);
          if (!key || !latest) throw new BulwarkError('BWK_E_AUDIT_NO_CHECKPOINT');
          if (!checkpointSignedBy(key, latest)) {
            throw new BulwarkError('BWK_E_AUDIT_VERIFY_FAILED', [latest.seq, 'the latest checkpoint is not signed by the node key']);
          }
          const file = resolve(io.cwd, opts.checkpointOut);
          exclusively(file, () => writeFileSync(file, checkpointFileText(latest, key), { flag: 'wx', mode: 0o600 }));
          io.stderr.write(`checkpoint at record ${latest.seq} written to ${opts.checkpointOut}\n`);
          // Only the checkpoint was asked for unless records were too.
          if (!opts.out && !opts.syslog && opts.after === undefined) return;
        }
        const sender = target ? await openSyslogSender(target) : undefined;
        const outFile = opts.out ? resolve(io.cwd, opts.out) : undefined;
        const out = outFile ? exclusively(outFile, () => openSync(outFile, 'wx', 0o600)) : undefined;
        let count = 0;
        try {
          let after = opts.after ?? 0;
          for (;;) {
            const page = await audit.range(after + 1, PAGE);
            let lines = '';
            for (const r of page) {
              if (sender) await sender.send(formatSyslog(r));
              else lines += JSON.stringify(r) + '\n';
              after = r.seq;
              count++;
            }
            if (out !== undefined) writeSync(out, lines);
            else if (!sender && lines) io.stdout.write(lines);
            if (page.length < PAGE) break;
          }
        } finally {
          await sender?.close();
          if (out !== undefined) closeSync(out);
        }
        if (sender || opts.out) io.stderr.write(`${count} record(s) exported\n`);
      });
    });
}

export function auditCommand(io: CliIo): Command {
  return new Command('audit')
    .description('the tamper-evident audit ledger: verify, tail, query, export')
    .addCommand(verifyCommand(io))
    .addCommand(tailCommand(io))
    .addCommand(queryCommand(io))
    .addCommand(exportCommand(io));
}
