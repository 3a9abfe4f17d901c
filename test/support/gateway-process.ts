// The gateway as a separate OS process — `node src/cli/main.ts serve`, exactly what an operator runs —
// for tests that must kill it with SIGKILL and start it again on the same home.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { cliMain, repoRoot } from './platform.ts';

export interface GatewayProcess {
  child: ChildProcess;
  url: string;
  /** Resolves once the process has exited, with its signal. */
  exited: Promise<NodeJS.Signals | null>;
}

/** Starts `bulwark serve` on an ephemeral port; resolves when it prints the URL it listens on. */
export function startGatewayProcess(home: string, env: Record<string, string> = {}): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [cliMain, 'serve'], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', BULWARK_HOME: home, BULWARK_PORT: '0', ...env },
    // stdout carries the JSON log (also in $home/logs/gateway.log); stderr the one "listening" line.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  return new Promise((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`gateway did not start within 30 s: ${stderr}`));
    }, 30_000);
    child.stderr!.setEncoding('utf8').on('data', (s: string) => {
      stderr += s;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, exited });
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited (code ${code}, signal ${signal}) before listening: ${stderr}`));
    });
  });
}

/** Stops the gateway if it still runs: SIGTERM, then SIGKILL when it has not exited within 5 s. */
export async function stopGatewayProcess(gw: GatewayProcess): Promise<void> {
  const running = () => gw.child.exitCode === null && gw.child.signalCode === null;
  if (!running()) return;
  gw.child.kill('SIGTERM');
  await Promise.race([gw.exited, new Promise((r) => setTimeout(r, 5000))]);
  if (running()) gw.child.kill('SIGKILL');
}

/** Pids of live processes whose command line mentions `needle` (e.g. a home dir in a worker's flags). */
export async function processesMentioning(needle: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (cmdline.includes(needle)) found.push(Number(entry));
  }
  return found;
}
