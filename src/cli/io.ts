// What every command gets from main.ts: the environment, the streams and the working directory.
// Commands never read process.env, process.stdin or write to process.stdout themselves, so each run is explicit.

import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Read only by commands that take `-` for "from standard input" (bulwark publish). */
  stdin: Readable;
  stdout: Writable;
  stderr: Writable;
  /** True when stderr is a terminal and we are not in CI: progress may animate and tables may align. */
  interactive: boolean;
}

export function printJson(io: CliIo, value: unknown): void {
  io.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

/** Prints rows as an aligned table; columns are the keys of `columns`, headers its values. */
export function printTable<T extends object>(io: CliIo, rows: T[], columns: Partial<Record<keyof T & string, string>>): void {
  const keys = Object.keys(columns) as Array<keyof T & string>;
  const cells = rows.map((row) => keys.map((k) => cell((row as Record<string, unknown>)[k])));
  const header = keys.map((k) => columns[k] as string);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i]!.length)));
  const line = (r: string[]) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  io.stdout.write([line(header), ...cells.map(line)].join('\n') + '\n');
}

function cell(v: unknown): string {
  if (v === null || v === undefined) return '-';
  if (Array.isArray(v)) return v.join(',');
  return String(v);
}
