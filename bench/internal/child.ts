// Helpers the bench drivers share: servers under test run in their own processes (so the load
// generator never shares their event loop), announce themselves with one JSON line on stdout, and die
// with the driver. Plus the one way a bench writes its section of docs/benchmarks.md.

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';

export const repo = resolve(import.meta.dirname, '../..');

export interface Started { child: ChildProcess; info: Record<string, unknown> }

/**
 * Starts `script` (relative to the repo) on the pinned node, with `nodeFlags` before it, and waits for its
 * one-line JSON announcement.
 */
export async function startChild(script: string, args: string[] = [], nodeFlags: string[] = []): Promise<Started> {
  const child = spawn(process.execPath, [...nodeFlags, join(repo, script), ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  return { child, info: JSON.parse(await nextLine(child, script)) as Record<string, unknown> };
}

/** The next line `child` writes on stdout (`what` names it if it exits first). */
export function nextLine(child: ChildProcess, what: string): Promise<string> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.reject(new Error(`${what} has exited`));
  const lines = createInterface({ input: child.stdout! });
  return new Promise<string>((res, rej) => {
    const exited = (code: number | null): void => {
      lines.close();
      rej(new Error(`${what} exited ${code} before it wrote its line`));
    };
    child.once('exit', exited);
    lines.once('line', (line) => {
      child.off('exit', exited);
      lines.close();
      res(line);
    });
  });
}

/**
 * Scenario (e)'s server, the process-pool floor: as many child processes as examples/hello's
 * limits.concurrency, since the gateway's pool for it grows to that many workers.
 */
export async function startFloor(): Promise<Started> {
  const { loadManifest } = await import('../../src/manifest/load.ts');
  const { manifest } = await loadManifest(join(repo, 'examples/hello'));
  return startChild('bench/internal/process-pool-server.ts', ['--workers', String(manifest.limits.concurrency)]);
}

/** SIGTERM, and SIGKILL if the child has not exited STOP_GRACE_MS later (its own close hung). */
const STOP_GRACE_MS = 30_000;

export async function stopChild(s: Started): Promise<void> {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const exited = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  const kill = setTimeout(() => s.child.kill('SIGKILL'), STOP_GRACE_MS);
  await exited;
  clearTimeout(kill);
}

/** The q-quantile of an ascending array (nearest rank). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/**
 * Replaces the text between `<!-- bench:<name>:start -->` and `<!-- bench:<name>:end -->` in
 * docs/benchmarks.md with `report`, stamped with the time and the command that produced it.
 */
export function writeBenchSection(name: string, command: string, report: string): void {
  const file = join(repo, 'docs/benchmarks.md');
  const doc = readFileSync(file, 'utf8');
  const start = `<!-- bench:${name}:start -->`;
  const end = `<!-- bench:${name}:end -->`;
  const at = doc.indexOf(start);
  const until = doc.indexOf(end);
  if (at < 0 || until < 0) throw new Error(`docs/benchmarks.md lacks the ${start} … ${end} markers`);
  const stamped = `${start}\nLast run ${new Date().toISOString()} with \`${command}\`.\n\n${report}\n${end}`;
  writeFileSync(file, doc.slice(0, at) + stamped + doc.slice(until + end.length));
}
