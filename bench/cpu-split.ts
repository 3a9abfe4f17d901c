// Where the CPU goes under the issue 2 load (bench/run.ts scenario (b), or (c) with --no-guards): the
// gateway's main thread, its other threads, the sandbox workers and wrk, in µs of CPU (user + system)
// per invocation, read from /proc/<pid>/task/<tid>/stat around a window in the middle of the run. It
// says which process is the bottleneck and what an invocation costs in all, which req/s alone does not.
// "busy" workers are those above 0.5 % of a core in the window.
// --sandbox-only measures the same way a process that drives the sandbox layer alone
// (internal/sandbox-driver.ts: no HTTP, no guards, no response filter), so the gateway's main-thread
// cost splits into the sandbox's share and the rest.
// --floor measures scenario (e) of bench/run.ts, the process-pool floor (internal/process-pool-server.ts),
// under the same load: what the process hop costs each side when nothing else is in the way.
//
//   node bench/cpu-split.ts [--duration 10] [--warmup 3] [--no-guards | --sandbox-only | --floor] [--write]

import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { helloLoad, runWrk } from './wrk.ts';
import { nextLine, repo, startChild, startFloor, stopChild, writeBenchSection } from './internal/child.ts';
import { descendants, snapshot, TICKS_PER_SEC } from './internal/proc.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    'no-guards': { type: 'boolean', default: false },
    'sandbox-only': { type: 'boolean', default: false },
    floor: { type: 'boolean', default: false },
    write: { type: 'boolean', default: false },
  },
});
const durationSec = Number(values.duration);
const warmupSec = Number(values.warmup);
if (!(durationSec >= 4)) throw new Error('--duration must be at least 4 s (the window leaves 1 s at each end)');
if ([values['no-guards'], values['sandbox-only'], values.floor].filter(Boolean).length > 1) {
  throw new Error('--no-guards, --sandbox-only and --floor are different runs: give one');
}
const sandboxOnly = values['sandbox-only'];
const floor = values.floor;
const gw = sandboxOnly
  ? await startChild('bench/internal/sandbox-driver.ts', ['--warmup', String(warmupSec), '--duration', String(durationSec)])
  : floor
    ? await startFloor()
    : await startChild('bench/internal/gateway-server.ts', [...(values['no-guards'] ? ['--no-guards'] : []), '--config', join(repo, 'bench/internal/load.config.yaml')]);
const gwPid = gw.child.pid!;
const server = sandboxOnly ? 'driver' : floor ? 'floor server' : 'gateway';
const wrk = (durationSec: number) => runWrk(helloLoad(String(gw.info.url), durationSec, floor ? undefined : String(gw.info.key)));

/** Invocations per second of the whole run: wrk's, or what the sandbox driver counted. */
async function loadRun(): Promise<number> {
  if (sandboxOnly) {
    const line = await nextLine(gw.child, 'the sandbox driver');
    const { invocations, seconds } = JSON.parse(line) as { invocations: number; seconds: number };
    return invocations / seconds;
  }
  const result = await wrk(durationSec);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} socket errors: not a valid run`);
  return result.requestsPerSec;
}

let rows: string[];
let rps: number;
try {
  // The driver warms up by itself; wrk's warm-up is a run of its own.
  if (sandboxOnly) await new Promise((r) => setTimeout(r, warmupSec * 1000));
  else await wrk(warmupSec);
  const run = loadRun();
  await new Promise((r) => setTimeout(r, 1000));
  const before = snapshot();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, (durationSec - 2) * 1000));
  const after = snapshot();
  const seconds = (performance.now() - t0) / 1000;
  rps = await run;
  const workers = descendants(after, gwPid);
  const groups = new Map<string, { cores: number; tasks: number }>();
  for (const [key, t] of after) {
    const was = before.get(key);
    if (!was) continue;
    const cores = (t.ticks - was.ticks) / TICKS_PER_SEC / seconds;
    const group = t.pid === gwPid
      ? (t.tid === gwPid ? (sandboxOnly ? 'driver main thread (the sandbox layer)' : `${server} main thread`) : `${server} other threads (${floor ? 'GC' : 'GC, log writer, pool'})`)
      : workers.has(t.pid) ? (floor ? 'floor child processes (all)' : 'sandbox workers (all)')
        : t.comm === 'wrk' && t.ppid === process.pid ? 'wrk' : undefined;
    if (!group) continue;
    const g = groups.get(group) ?? { cores: 0, tasks: 0 };
    g.cores += cores;
    if (cores > 0.005) g.tasks++;
    groups.set(group, g);
  }
  let total = 0;
  rows = ['| process | cores busy | µs of CPU per invocation |', '|---|---:|---:|'];
  for (const [name, g] of groups) {
    total += g.cores;
    rows.push(`| ${name}${name.endsWith('(all)') ? ` (${g.tasks} busy)` : ''} | ${g.cores.toFixed(2)} | ${(g.cores * 1e6 / rps).toFixed(0)} |`);
  }
  rows.push(`| all of the above | ${total.toFixed(2)} | ${(total * 1e6 / rps).toFixed(0)} |`);
} finally {
  await stopChild(gw);
}
const scenario = sandboxOnly
  ? `sandbox layer alone: ${rps.toFixed(0)} invocations/s, examples/hello, as many concurrent callers as its limits.concurrency, the (b) event with its 1 KB JSON body`
  : `${floor ? '(e) the process-pool floor' : values['no-guards'] ? '(c) guard chain off' : '(b) guard chain on'}: ${rps.toFixed(0)} invocations/s, wrk 50 connections, POST 1 KB JSON`;
const section = sandboxOnly ? 'cpu-split-sandbox' : floor ? 'cpu-split-floor' : values['no-guards'] ? 'cpu-split-off' : 'cpu-split';
const flag = sandboxOnly ? ' --sandbox-only' : floor ? ' --floor' : values['no-guards'] ? ' --no-guards' : '';
const report = [
  `${scenario}, window of ${durationSec - 2} s inside a ${durationSec} s run after ${warmupSec} s of warm-up.`,
  '',
  ...rows,
].join('\n');
console.log(report);
if (values.write) {
  writeBenchSection(section, `node bench/cpu-split.ts${flag} --write`, report);
  console.error('docs/benchmarks.md updated');
}
