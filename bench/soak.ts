// Memory under sustained load: the issue 2 (b) load (examples/hello, API key, guard chain on, wrk 50
// connections, POST 1 KB JSON) held for --duration seconds, sampling every --every seconds the gateway's
// live JS heap (after a full collection), its resident size and each sandbox worker's, after --warmup
// seconds of the same load. A leak shows as growth per 100 000 invocations over the second half of the
// run, measured against its own middle sample, and a worker the watchdog replaced (over its memory, say)
// as a pid gone (so does a worker the pool retired).
// Two leaks were found this way: one Map table kept per request, and one environment string kept per
// invocation (docs/benchmarks.md).
//
//   node bench/soak.ts [--duration 120] [--every 15] [--warmup 10] [--write]

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { helloLoad, runWrk } from './wrk.ts';
import { nextLine, repo, startChild, stopChild, writeBenchSection } from './internal/child.ts';
import { descendants, snapshot } from './internal/proc.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '120' },
    every: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '10' },
    write: { type: 'boolean', default: false },
  },
});
const durationSec = Number(values.duration);
const everySec = Number(values.every);
const warmupSec = Number(values.warmup);
if (!(everySec >= 1) || !(durationSec >= 2 * everySec)) throw new Error('--duration must be at least two --every periods, and --every at least 1 s');

const MB = 1024 * 1024;

/** Resident size in bytes of `pid`, from /proc/<pid>/status (VmRSS, in kB); undefined once it is gone. */
function residentBytes(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The sandbox workers under the gateway (node processes: not bubblewrap's, not esbuild's service), with their resident size. */
function workers(gatewayPid: number): Map<number, number> {
  const tasks = snapshot();
  const out = new Map<number, number>();
  for (const pid of descendants(tasks, gatewayPid)) {
    // Node 26 names its main thread, and so the process, node-MainThread.
    if (!tasks.get(`${pid}/${pid}`)?.comm.startsWith('node')) continue;
    const rss = residentBytes(pid);
    if (rss !== undefined) out.set(pid, rss);
  }
  return out;
}

interface Sample { at: number; heap: number; rss: number; workerRss: number[]; pids: Set<number> }

const gw = await startChild('bench/internal/gateway-server.ts', ['--config', join(repo, 'bench/internal/load.config.yaml')], ['--expose-gc']);
const gatewayPid = gw.child.pid!;
async function sample(t0: number): Promise<Sample> {
  gw.child.stdin!.write('memory\n');
  const memory = JSON.parse(await nextLine(gw.child, 'the gateway')) as NodeJS.MemoryUsage;
  const w = workers(gatewayPid);
  return { at: (performance.now() - t0) / 1000, heap: memory.heapUsed, rss: memory.rss, workerRss: [...w.values()].sort((a, b) => a - b), pids: new Set(w.keys()) };
}

const load = (durationSec: number) => helloLoad(String(gw.info.url), durationSec, String(gw.info.key));
const samples: Sample[] = [];
let rps = 0;
try {
  const warm = await runWrk(load(warmupSec));
  if (warm.non2xx > 0 || warm.errors > 0) throw new Error(`warm-up: ${warm.non2xx} non-2xx responses and ${warm.errors} socket errors`);
  const t0 = performance.now();
  const run = runWrk(load(durationSec));
  samples.push(await sample(t0));
  for (let next = everySec; next < durationSec; next += everySec) {
    await new Promise((r) => setTimeout(r, Math.max(0, t0 + next * 1000 - performance.now())));
    samples.push(await sample(t0));
  }
  const result = await run;
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx responses and ${result.errors} socket errors: not a valid run`);
  rps = result.requestsPerSec;
} finally {
  await stopChild(gw);
}

const first = samples[0]!;
const last = samples.at(-1)!;
// Growth is judged over the second half: the heaps grow to their working size first (V8 sizes its
// spaces to the load), a leak keeps growing after that.
const middle = samples[Math.floor((samples.length - 1) / 2)]!;
const invocations = rps * (last.at - middle.at);
const per100k = (bytes: number): string => `${((bytes / MB) * (100_000 / invocations)).toFixed(2)} MB`;
const maxOf = (xs: number[]): number => (xs.length > 0 ? Math.max(...xs) : 0);
const replaced = [...first.pids].filter((pid) => !last.pids.has(pid)).length;
const rows = [
  '| s | gateway live heap MB | gateway RSS MB | workers | largest worker RSS MB |',
  '|---:|---:|---:|---:|---:|',
  ...samples.map((s) => `| ${s.at.toFixed(0)} | ${(s.heap / MB).toFixed(1)} | ${(s.rss / MB).toFixed(0)} | ${s.workerRss.length} | ${(maxOf(s.workerRss) / MB).toFixed(1)} |`),
];
const report = [
  `(b) load held ${durationSec} s after ${warmupSec} s of warm-up: ${rps.toFixed(0)} invocations/s; a sample every ${everySec} s (the gateway's heap after a full collection).`,
  '',
  ...rows,
  '',
  `Growth over the second half (${middle.at.toFixed(0)}–${last.at.toFixed(0)} s, ≈ ${Math.round(invocations).toLocaleString('en')} invocations), per 100 000 invocations:`,
  `- gateway live heap: ${per100k(last.heap - middle.heap)} (${(middle.heap / MB).toFixed(1)} → ${(last.heap / MB).toFixed(1)} MB)`,
  `- largest worker RSS: ${per100k(maxOf(last.workerRss) - maxOf(middle.workerRss))} (${(maxOf(middle.workerRss) / MB).toFixed(1)} → ${(maxOf(last.workerRss) / MB).toFixed(1)} MB)`,
  `- workers gone over the whole run (replaced by the watchdog, or retired): ${replaced} of ${first.pids.size}`,
].join('\n');
console.log(report);
if (values.write) {
  writeBenchSection('soak', 'node bench/soak.ts --write', report);
  console.error('docs/benchmarks.md updated');
}
