// What storing function log lines costs the embedded store (src/store/sqlite/logs.ts and its writer
// thread), per line: CPU of the whole process (the writer thread does the inserts, the retention trim
// and the fsync) and bytes written to disk, for the current schema and for the schema before
// migration 16, which kept an index on (function, request_id, id), re-created in a second store in
// the same run. Lines arrive as at ~3,000 invocations/s with one context.log line each: batches of 75
// (one FLUSH_AFTER_MS), into a function already at its FUNCTION_LOG_RETENTION window, so every batch
// also trims 75. Also the admin API's query by request id, which that index served.
//
//   node bench/function-logs.ts [--batches 400] [--write]

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { openSqliteStore } from '../src/store/sqlite/index.ts';
import { DATABASE_FILE } from '../src/store/sqlite/database.ts';
import { FUNCTION_LOG_RETENTION, type FunctionLogEntry } from '../src/store/store.ts';
import { quantile, writeBenchSection } from './internal/child.ts';

const { values } = parseArgs({ options: { batches: { type: 'string', default: '400' }, write: { type: 'boolean', default: false } } });
const batches = Number(values.batches);
if (!(batches >= 10)) throw new Error('--batches must be at least 10');
const BATCH = 75;

/** Bytes this process has caused to be written to storage (all threads), from /proc/self/io. */
function bytesWritten(): number {
  return Number(/write_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

function line(): FunctionLogEntry {
  return { at: new Date().toISOString(), function: 'hello', version: 1, requestId: randomUUID(), level: 'info', message: 'said hello', fields: { who: 'Ada' } };
}

interface Result { cpuUsPerLine: number; bytesPerLine: number; queryP50Ms: number }

async function measure(withRequestIndex: boolean): Promise<Result> {
  const home = mkdtempSync(join(tmpdir(), 'bwk-logs-bench-'));
  try {
    if (withRequestIndex) {
      await (await openSqliteStore(home)).close();
      const db = new DatabaseSync(join(home, DATABASE_FILE));
      db.exec('CREATE INDEX function_logs_by_request ON function_logs (function, request_id, id)');
      db.close();
    }
    const store = await openSqliteStore(home);
    const append = async (n: number): Promise<void> => {
      for (let i = 0; i < n; i++) void store.logs.append([line()]);
      // What FLUSH_AFTER_MS does in the gateway, without waiting for the timer.
      await store.logs.query({ function: 'hello', limit: 1 });
    };
    for (let i = 0; i < Math.ceil((FUNCTION_LOG_RETENTION * 1.2) / BATCH); i++) await append(BATCH);
    const bytes0 = bytesWritten();
    const cpu0 = process.cpuUsage();
    for (let i = 0; i < batches; i++) await append(BATCH);
    const cpu = process.cpuUsage(cpu0);
    const bytes = bytesWritten() - bytes0;
    // write_bytes counts what reaches a block device: nothing on tmpfs.
    if (bytes === 0) throw new Error(`no bytes reached a disk: ${tmpdir()} looks like tmpfs; set TMPDIR to a directory on disk`);
    const times: number[] = [];
    for (let i = 0; i < 50; i++) {
      const t0 = performance.now();
      await store.logs.query({ function: 'hello', requestId: randomUUID(), limit: 100 });
      times.push(performance.now() - t0);
    }
    await store.close();
    const lines = batches * BATCH;
    return { cpuUsPerLine: (cpu.user + cpu.system) / lines, bytesPerLine: bytes / lines, queryP50Ms: quantile(times.sort((a, b) => a - b), 0.5) };
  } finally {
    rmSync(home, { recursive: true, force: true });
  }
}

// Alternated, twice each, so a drift of the machine's speed falls on both.
const runs: Array<[string, Result]> = [];
for (let round = 0; round < 2; round++) {
  runs.push(['before migration 16 (request-id index)', await measure(true)]);
  runs.push(['current schema', await measure(false)]);
}
const rows = ['| schema | µs of CPU per line | bytes written per line | query by request id, p50 ms |', '|---|---:|---:|---:|'];
for (const [name, r] of runs) rows.push(`| ${name} | ${r.cpuUsPerLine.toFixed(1)} | ${r.bytesPerLine.toFixed(0)} | ${r.queryP50Ms.toFixed(2)} |`);
const report = [
  `${batches} batches of ${BATCH} lines into a function at its ${FUNCTION_LOG_RETENTION}-line retention window, each batch committed (synchronous=FULL) and trimmed; two rounds, alternated.`,
  '',
  ...rows,
].join('\n');
console.log(report);
if (values.write) {
  writeBenchSection('function-logs', 'node bench/function-logs.ts --write', report);
  console.error('docs/benchmarks.md updated');
}
